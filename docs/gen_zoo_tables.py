"""Print the model table and the claims table of docs/zoo.md from a paper_figures.json.

Usage: ``neurodyn paper-figures --out DIR`` then ``python docs/gen_zoo_tables.py DIR``.
"""

import json
import sys
from collections import Counter
from pathlib import Path


def fmt(v: float) -> str:
    return f"{v:.4g}"


def main() -> None:
    d = json.loads((Path(sys.argv[1]) / "paper_figures.json").read_text())
    print(
        "| name | factorization | act. | L | range | bias | seed | max ρ (grid) | ρ > 1 "
        "| max ρ (visited) | attractor | diverged | fixed points |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, m in d["models"].items():
        c, sr = m["config"], m["spectral_radius"]
        kinds = Counter(p["kind"] for p in m["fixed_points"])
        fps = ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())) or "none"
        lo, hi = c["eig_range"]
        print(
            f"| {name} | {c['factorization']} | {c['activation']} | {c['depth']} | "
            f"({lo:.2f}, {hi:.2f}) | {'Y' if c['bias'] else 'N'} | {c['paper']} | "
            f"{fmt(sr['max'])} | {sr['fraction_above_1']:.3f} | "
            f"{fmt(m['spectral_radius_visited']['max'])} | {m['attractor']['kind']} | "
            f"{m['diverged_fraction']:.2f} | {fps} |"
        )
    print()
    print("| fig. | the paper says | measured | verdict |")
    print("|---|---|---|---|")
    for c in d["claims"]:
        verdict = "**pass**" if c["passed"] else f"**fail — {c['status']}**"
        print(f"| {c['figure']} | {c['paper']} | {c['measured']} | {verdict} |")


if __name__ == "__main__":
    main()
