"""Mutation score per module from `mutmut results --all true` on stdin (killed or timed out / all tested).

    mutmut results --all true | python scripts/mutation_score.py
"""

from __future__ import annotations

import re
import sys
from collections import Counter

# `    pipeline.merge.xǁ_ProjectAccǁadd__mutmut_5: survived` → module `pipeline.merge`
_LINE = re.compile(r"^\s*(?P<module>[\w.]+?)\.x[_ǁ].*__mutmut_\d+: (?P<status>.+)$")
_KILLED = {"killed", "timeout"}
_UNTESTED = {"not checked", "skipped"}


def main() -> int:
    total: Counter[str] = Counter()
    killed: Counter[str] = Counter()
    for line in sys.stdin:
        match = _LINE.match(line.rstrip("\n"))
        if match is None or match["status"] in _UNTESTED:
            continue
        total[match["module"]] += 1
        killed[match["module"]] += match["status"] in _KILLED
    if not total:
        print("no tested mutants (run `make mutation` first)")
        return 1
    for module in sorted(total):
        print(f"{module:32} {killed[module]:5}/{total[module]:<5} {killed[module] / total[module]:.3f}")
    all_killed, all_total = sum(killed.values()), sum(total.values())
    print(f"{'all':32} {all_killed:5}/{all_total:<5} {all_killed / all_total:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
