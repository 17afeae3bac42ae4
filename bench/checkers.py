"""Benchmark the brand-voice checker and the sensitive-content scanner against the stock tools.

    .venv/bin/python bench/checkers.py [--posts 10000] [--proselint-sample N] [--strict]

1. Throughput on the same synthetic posts, measured in one run on one core, in interleaved blocks
   so that a busy machine slows every tool alike: ``course.voice`` (voice rules + sensitive scan, as
   ``course check`` runs it), the voice rules alone, the scanner alone, and proselint 0.16.0 with
   its default checks. Posts are checked one at a time through each tool's library API.
2. Precision, recall and F1 of the scanner on the labelled corpus (tests/checkers/corpus.jsonl)
   beside scrubadub 2.0.1 on the same drafts, counted by the same code as the corpus test.

The script asserts that every tool saw exactly the same posts, prints the ratios, and with
``--strict`` exits 1 when a target (voice >= 10x proselint; scanner F1 > scrubadub F1) is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from course.privacy import scanner_for  # noqa: E402
from course.voice import checker_for  # noqa: E402
from tests.checkers import make_corpus as mc  # noqa: E402
from tests.checkers.corpus_eval import Scores, Span, evaluate, load_corpus, micro  # noqa: E402

SEED = 2026
BLOCK = 500

FILLER = [
    "Thanks to everyone who helped this week.", "The van leaves at four, so please have the pallets ready.",
    "We sold out of garden chairs by lunchtime on Saturday.", "Stand-up moves to ten tomorrow because of the drill.",
    "Our new store in Otley opens its doors next month.", "Let me know if you have any questions about the rota.",
    "The customer was really pleased with how quickly we sorted it.", "It was great to meet so many of you at "
    "the trade show in Harrogate.", "Please remember to log every call in the case system.",
    "Coffee is on me if you finish the stock count before five.", "We are going to leverage the new scanners.",
    "Huge thanks to the Bradford team for a record month!!", "Read more at https://brightwater.example/news",
    "More details: bit.ly/bw-news", "#teamwork #logistics #leeds", "Proud of this team 🎉🙌",
]


def synthetic_posts(n: int, seed: int = SEED) -> list[tuple[str, str]]:
    """``n`` (channel, text) posts: corpus-style frames, filler sentences, sensitive values and lookalikes."""
    rng = random.Random(seed)
    channels = list(mc.FRAMES)
    posts = []
    for i in range(n):
        channel = channels[i % len(channels)]
        frame, _ = rng.choice(mc.FRAMES[channel])
        roll = rng.random()
        if roll < 0.25:
            kind = rng.choice(mc.KINDS)
            middle = rng.choice(mc.CARRIERS[kind]).replace("{v}", mc.values(rng, kind))
        elif roll < 0.40:
            middle = rng.choice(mc.NEGATIVES[rng.choice(mc.KINDS)])
        else:
            middle = rng.choice(FILLER).rstrip(".!")
        text = frame.replace("{S}", middle).replace("{h}", rng.choice(mc.HANDLES)).replace(
            "{i}", rng.choice(mc.INITIALS))
        extra = " ".join(rng.sample(FILLER, rng.choice([0, 0, 1, 2, 3])))
        posts.append((channel, f"{text} {extra}".strip() if channel != "customer_care_reply" else text))
    return posts


def digest(texts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


def proselint_lint() -> Callable[[str], object]:
    from proselint.checks import __register__
    from proselint.registry import CheckRegistry
    from proselint.tools import LintFile

    CheckRegistry().register_many(__register__)
    return lambda text: LintFile("<post>", text).lint()


def throughput(posts: list[tuple[str, str]], sample: set[int]) -> dict[str, tuple[float, int, str]]:
    """Seconds, post count and input digest per tool, timed block by block, interleaved."""
    full = checker_for()
    voice_only = checker_for(sensitive=False)
    scanner = scanner_for()
    lint = proselint_lint()
    tools: dict[str, Callable[[str, str], object]] = {
        "course.voice check (voice + scan)": full.check,
        "course.voice rules only": voice_only.check,
        "course.privacy scanner": lambda text, _channel: scanner.scan(text),
        "proselint 0.16.0": lambda text, _channel: lint(text),
    }
    for fn in tools.values():  # warm up: regex compilation, caches and imports are not timed
        fn(posts[0][1], posts[0][0])
    seconds = dict.fromkeys(tools, 0.0)
    seen: dict[str, list[str]] = {name: [] for name in tools}
    for start in range(0, len(posts), BLOCK):
        block = list(enumerate(posts[start : start + BLOCK], start=start))
        for name, fn in tools.items():
            todo = [(c, t) for i, (c, t) in block if name != "proselint 0.16.0" or i in sample]
            began = time.perf_counter()
            for channel, text in todo:
                fn(text, channel)
            seconds[name] += time.perf_counter() - began
            seen[name].extend(t for _, t in todo)
    return {name: (seconds[name], len(seen[name]), digest(seen[name])) for name in tools}


# -- scrubadub -------------------------------------------------------------------------------

SCRUBADUB_KINDS = {"email": "email", "phone": "phone", "credit_card": "payment_card",
                   "postalcode": "street_address"}


def scrubadub_predictor(*, possible_phones: bool) -> Callable[[str], list[Span]]:
    """scrubadub 2.0.1 with locale en_GB; its filth types mapped to our kinds, others ignored.

    With ``possible_phones``, its phone detector accepts numbers that are well formed but not in an
    assigned range, as our synthetic numbers (Ofcom's drama ranges such as 07700 900xxx) are.
    """
    import phonenumbers
    import scrubadub
    from scrubadub.detectors.phone import PhoneDetector
    from scrubadub.filth import PhoneFilth

    class PossiblePhoneDetector(PhoneDetector):
        name = "phone"

        def iter_filth(self, text, document_name=None):  # scrubadub's signature
            for m in phonenumbers.PhoneNumberMatcher(text, self.region, leniency=phonenumbers.Leniency.POSSIBLE):
                yield PhoneFilth(beg=m.start, end=m.end, text=m.raw_string, detector_name=self.name,
                                 document_name=document_name, locale=self.locale)

    scrubber = scrubadub.Scrubber(locale="en_GB")
    if possible_phones:
        scrubber.remove_detector("phone")
        scrubber.add_detector(PossiblePhoneDetector(locale="en_GB"))

    def predict(text: str) -> list[Span]:
        out = []
        for filth in scrubber.iter_filth(text):
            for f in getattr(filth, "filths", None) or [filth]:
                kind = SCRUBADUB_KINDS.get(f.type)
                if kind:
                    out.append((kind, f.beg, f.end))
        return out

    return predict


def cells(s: Scores) -> str:
    """P, R and F1; precision is '–' when the tool predicted nothing of the kind."""
    precision = f"{s.precision:>6.2f}" if s.tp + s.fp else f"{'–':>6}"
    return f"{precision}{s.recall:>6.2f}{s.f1:>6.2f}"


def line(label: str, columns: Iterable[Scores]) -> str:
    return f"  {label:<22}" + "".join(cells(s) for s in columns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000, help="synthetic posts to time (default 10000)")
    parser.add_argument("--proselint-sample", type=int, default=None,
                        help="time proselint on a fixed random sample of this many of the same posts "
                             "(default: all of them)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")

    posts = synthetic_posts(args.posts)
    n_sample = min(args.proselint_sample or len(posts), len(posts))
    sample = set(random.Random(SEED + 1).sample(range(len(posts)), n_sample))
    mean_len = sum(len(t) for _, t in posts) / len(posts)
    print(f"Checkers bench: {len(posts):,} synthetic posts (seed {SEED}, {mean_len:.0f} characters on average, "
          f"all 7 channels), one process, one core")
    results = throughput(posts, sample)
    ours_digest = digest(t for _, t in posts)
    sample_digest = digest(t for i, (_, t) in enumerate(posts) if i in sample)
    for name, (_, _count, seen) in results.items():
        expected = sample_digest if name == "proselint 0.16.0" else ours_digest
        assert seen == expected, f"{name} did not see the same posts"
    print("  identical input: every tool checked the same posts (SHA-256 of the inputs compared)")
    print(f"\n  {'tool':<38}{'posts':>8}{'posts/s':>11}{'µs/post':>10}")
    rate = {}
    for name, (secs, count, _) in results.items():
        rate[name] = count / secs
        print(f"  {name:<38}{count:>8,}{rate[name]:>11,.0f}{1e6 / rate[name]:>10,.0f}")
    if n_sample < len(posts):
        print(f"  (proselint timed on a fixed random sample of {n_sample:,} of the same posts; "
              "per-post throughput is compared)")
    ratio = rate["course.voice check (voice + scan)"] / rate["proselint 0.16.0"]
    scan_ratio = rate["course.privacy scanner"] / rate["proselint 0.16.0"]
    print(f"\n  voice checker (voice + scan) vs proselint: {ratio:.1f}x the throughput (target >= 10x)")
    print(f"  scanner alone vs proselint:                {scan_ratio:.1f}x the throughput")

    rows = load_corpus()
    ours = evaluate(rows, scanner_for().detect)
    stock = evaluate(rows, scrubadub_predictor(possible_phones=False))
    tuned = evaluate(rows, scrubadub_predictor(possible_phones=True))
    labelled = sum(len(r["sensitive"]) for r in rows)
    print(f"\nScanner vs scrubadub 2.0.1 (locale en_GB) on the labelled corpus: {len(rows)} drafts, "
          f"{labelled} labelled spans")
    print("  a prediction counts when its kind matches a labelled span it overlaps (one to one); scrubadub's")
    print("  email, phone, credit_card and postalcode map to our kinds, its other filth types are ignored.")
    print("  'scrubadub+' accepts well-formed numbers outside assigned ranges, as our synthetic ones are.")
    print(f"\n  {'kind':<22}{'course.privacy':^18} {'scrubadub':^18} {'scrubadub+':^18}")
    print(f"  {'':<22}" + "     P     R    F1" * 3)
    empty = Scores()
    for kind in sorted(ours):
        print(line(kind, [ours[kind], stock.get(kind, empty), tuned.get(kind, empty)]))
    all_ours, all_stock, all_tuned = micro(ours), micro(stock), micro(tuned)
    print(line("all kinds (micro)", [all_ours, all_stock, all_tuned]))
    covered = ["email", "phone", "payment_card", "street_address"]
    sub = [micro(evaluate(rows, p, kinds=covered)) for p in
           (scanner_for().detect, scrubadub_predictor(possible_phones=False),
            scrubadub_predictor(possible_phones=True))]
    print(line("kinds both cover", sub))
    best_scrub = max(all_stock.f1, all_tuned.f1)
    print(f"\n  scanner F1 {all_ours.f1:.3f} vs scrubadub {all_stock.f1:.3f} (stock) / {all_tuned.f1:.3f} "
          f"(lenient phones); on the kinds both cover {sub[0].f1:.3f} vs {sub[1].f1:.3f} / {sub[2].f1:.3f}")
    print("  (the corpus is our own and its labels follow our policy: scrubadub cannot know a company's account")
    print("  formats, code names or customers, nor that help@brightwater.example and our helpline are public)")
    met = ratio >= 10 and all_ours.f1 > best_scrub
    print(f"\nTargets: voice >= 10x proselint: {'met' if ratio >= 10 else 'NOT met'}; "
          f"scanner F1 > scrubadub F1: {'met' if all_ours.f1 > best_scrub else 'NOT met'}")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    raise SystemExit(main())
