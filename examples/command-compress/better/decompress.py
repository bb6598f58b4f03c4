import lzma
import sys

# A 1 MiB dictionary holds the whole corpus and keeps the encoder well inside the
# protocol's memory limit (the preset's own 64 MiB dictionary would not be).
FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME, "dict_size": 1 << 20}]
sys.stdout.buffer.write(lzma.decompress(sys.stdin.buffer.read(), format=lzma.FORMAT_RAW, filters=FILTERS))
