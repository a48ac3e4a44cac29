"""Regenerate Drgoňa et al. 2022, Figs. 2–8 from the neurodyn zoo and check the paper's claims.

    python examples/paper_figures.py --out paper-figures --resolution 121

Writes fig2.png … fig8.png, paper_figures.json (numbers and claims) and index.html.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from neurodyn.reproduce import paper_figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="paper-figures", help="output folder")
    parser.add_argument("--resolution", type=int, default=121, help="grid points per axis")
    args = parser.parse_args()
    report = paper_figures(Path(args.out), resolution=args.resolution, progress=print)
    for c in report["claims"]:
        verdict = "pass" if c["passed"] else "fail"
        print(f"Fig. {c['figure']:>2}  {verdict}  {c['status']:<15} {c['id']}: {c['measured']}")
    print(f"{report['seconds']:.1f} s; open {Path(args.out) / 'index.html'}")


if __name__ == "__main__":
    main()
