"""Time the near-duplicate check of a collection (`publish.readers.collection._duplicates`) on its own.

Stories are given as the check gets them, each as its set of hashed three-word shingles:

  digest-N     the shingles of bench.py's generated digest of N articles (its stories are drawn from a small
               vocabulary, so about half of each story's shingles are held by other stories too)
  distinct-N   N stories of 600 shingles each, every one its own but for 40 drawn from 300 stock phrases (as a
               desk's stories share "said on Tuesday"), and one story in fifty a light edit of an earlier one

Each case runs `--repeat` times, interleaved with the same check from another checkout when `--baseline DIR` is
given (its `publish/readers/collection.py`, loaded from DIR); the medians are printed, and whether both found the
same pairs (they must).

Usage: python3 -P benchmarks/duplicates.py [--repeat 5] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import tempfile
import time
from array import array
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench import write_digest  # noqa: E402  (bench.py's generated articles)

from publish.build import cache  # noqa: E402
from publish.readers import collection, read_file  # noqa: E402

Check = Callable[[list["array[int]"]], list[tuple[int, int, float]]]


def digest(count: int) -> list[array[int]]:
    with tempfile.TemporaryDirectory() as folder:
        _, files = write_digest(Path(folder), count, seed=7)
        return [collection._article_shingles(read_file(path).article) for path in files]


def distinct(count: int) -> list[array[int]]:
    rng = random.Random(count)
    stock = [rng.getrandbits(63) for _ in range(300)]
    stories: list[array[int]] = []
    for number in range(count):
        if number % 50 == 49:  # a light edit of an earlier story: a near-duplicate to find
            base = list(stories[rng.randrange(len(stories))])
            stories.append(array("q", {rng.getrandbits(63) if rng.random() < 0.05 else shingle for shingle in base}))
        else:
            stories.append(array("q", {*(rng.getrandbits(63) for _ in range(560)), *rng.sample(stock, 40)}))
    return stories


def baseline(folder: Path) -> Check:
    spec = importlib.util.spec_from_file_location("baseline_collection", folder / "publish/readers/collection.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    check: Any = module._duplicates
    return check  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", type=Path, metavar="DIR")
    args = parser.parse_args()
    cache.turn_off()
    checks: dict[str, Check] = {"after": collection._duplicates}
    if args.baseline is not None:
        checks = {"before": baseline(args.baseline), **checks}
    cases = {f"digest-{n}": digest(n) for n in (200, 1000)} | {f"distinct-{n}": distinct(n) for n in (200, 1000)}
    print(f"{'case':<15}" + "".join(f"{name + ' s':>12}" for name in checks) + "  pairs  same")
    for case, stories in cases.items():
        times: dict[str, list[float]] = {name: [] for name in checks}
        found: dict[str, list[tuple[int, int, float]]] = {}
        for _ in range(args.repeat):
            for name, check in checks.items():
                started = time.perf_counter()
                found[name] = check(stories)
                times[name].append(time.perf_counter() - started)
        same = all(pairs == found["after"] for pairs in found.values())
        print(f"{case:<15}" + "".join(f"{statistics.median(times[name]):>12.4f}" for name in checks)
              + f"{len(found['after']):>7}  {'yes' if same else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
