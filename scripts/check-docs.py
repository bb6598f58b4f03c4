#!/usr/bin/env python3
"""Checks the repository's Markdown: every relative link resolves to a file or folder of the
checkout (and every #anchor to a heading of its page), every `cargo build` a page shows builds
into the scripts' target directory (so a reader's binaries land where the docs say), and no
file points at folders outside the repository. Prints each problem; exits 1 if there is any."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
tracked = subprocess.run(
    ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
    cwd=ROOT, check=True, capture_output=True, text=True,
).stdout.split("\n")
pages = [ROOT / p for p in tracked if p.endswith(".md") and "node_modules/" not in p and (ROOT / p).is_file()]

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
problems = []


def anchors(page: Path) -> set:
    """GitHub's anchors of a page's headings."""
    out = set()
    for line in page.read_text().splitlines():
        m = re.match(r"#+ (.*)", line)
        if m:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            out.add(slug)
    return out


for page in pages:
    text = page.read_text()
    rel = page.relative_to(ROOT)
    in_code = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            in_code = not in_code
        where = f"{rel}:{number}"
        if ("cargo build" in line and "CARGO_TARGET_DIR" not in line and "--target-dir" not in line
                and "plain `cargo build" not in line):
            problems.append(f"{where}: `cargo build` without the scripts' target directory "
                            "(say CARGO_TARGET_DIR=~/.cache/poi-target, or use scripts/build.sh)")
        if re.search(r"(?<![\w./$}-])target/(release|debug)\b", line):
            problems.append(f"{where}: ./target is not where the scripts build (~/.cache/poi-target)")
        if "../shared" in line:
            problems.append(f"{where}: points outside the repository")
        if in_code:
            continue
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists() or ROOT not in [dest, *dest.parents]:
                problems.append(f"{where}: broken link {target}")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                problems.append(f"{where}: no heading #{anchor} in {dest.relative_to(ROOT)}")

for problem in problems:
    print(problem)
print(f"{len(pages)} pages checked, {len(problems)} problems")
sys.exit(1 if problems else 0)
