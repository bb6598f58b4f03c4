// js-ipfs answers `add` with "Size" as a number; kubo (and ipfs-api-prelude, the runner's
// client) has it as a string. Make js-ipfs answer as kubo does. Idempotent.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('./node_modules/ipfs-http-server/src/api/resources/files-regular.js', import.meta.url);
const text = readFileSync(file, 'utf8');
if (!text.includes('Size: String(file.size),')) {
  if (!text.includes('Size: file.size,')) throw new Error(`${file}: the line to patch is gone`);
  writeFileSync(file, text.replace('Size: file.size,', 'Size: String(file.size),'));
  console.log('patched ipfs-http-server: add answers Size as a string');
}
