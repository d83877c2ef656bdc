"""Riedmiller & Braun (1993), table by table, on their setup: see
legacy_rprop/demo/paper.py for the setup and what the paper leaves open.

    python benchmarks/paper.py [--problems ...] [--variants ...] [--runs N]
        [--d0 ...] [--flat-spot c] [--init r] [--json FILE]
"""
import sys

from legacy_rprop.demo.paper import main

if __name__ == '__main__':
    sys.exit(main())
