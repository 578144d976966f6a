"""PNG charts of a run (matplotlib, Agg backend: no display needed).

* ``http_latency.png``: latency distribution (CDF, log scale) of every HTTP variant;
* ``http_throughput.png``: requests per second per variant (median, min-max whiskers);
* ``in_process.png``: per-round timings of the in-process comparisons (log scale).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt


def write_charts(document: dict[str, Any], out: Path) -> list[Path]:
    written: list[Path] = []
    scenarios = document.get("scenarios", {})
    http = scenarios.get("http_throughput", {})
    if isinstance(http, dict) and "variants" in http:
        written.append(_latency_cdf(http, out / "http_latency.png"))
        written.append(_throughput_bars(http, out / "http_throughput.png"))
    blocks = _in_process_blocks(scenarios)
    if blocks:
        written.append(_in_process(blocks, out / "in_process.png"))
    return written


def _latency_cdf(http: dict[str, Any], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(9, 5))
    for name, values in http.get("_latency_samples_ms", {}).items():
        if not values:
            continue
        data = sorted(values)
        ys = [(i + 1) / len(data) for i in range(len(data))]
        ax.plot(data, ys, label=name, linewidth=1.4)
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("fraction of requests ≤ x")
    ax.set_title(f"HTTP latency, {http.get('concurrency')} connections")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _throughput_bars(http: dict[str, Any], path: Path) -> Path:
    names = list(http["variants"])
    rps = [http["variants"][n]["rps"] for n in names]
    medians = [r["median"] for r in rps]
    low = [max(0.0, r["median"] - r["min"]) for r in rps]
    high = [max(0.0, r["max"] - r["median"]) for r in rps]
    fig, ax = plt.subplots(figsize=(9, 5))
    bars = ax.bar(range(len(names)), medians, yerr=[low, high], capsize=4, color="#4c72b0")
    ax.bar_label(bars, labels=[f"{m:,.0f}" for m in medians], fontsize=8)
    ax.set_xticks(range(len(names)), names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("requests per second (median of rounds)")
    ax.set_title("HTTP throughput: cache on vs off, and the constant-JSON ceiling")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _in_process_blocks(scenarios: dict[str, Any]) -> list[tuple[str, dict[str, list[float]]]]:
    found: list[tuple[str, dict[str, list[float]]]] = []
    for key, result in scenarios.items():
        if not isinstance(result, dict):
            continue
        candidates = [(key, result)] + [
            (f"{key}.{k}", v) for k, v in result.items() if isinstance(v, dict)
        ]
        for name, block in candidates:
            samples = block.get("_samples")
            if isinstance(samples, dict) and samples:
                found.append((name, samples))
    return found


def _in_process(blocks: list[tuple[str, dict[str, list[float]]]], path: Path) -> Path:
    fig, axes = plt.subplots(1, len(blocks), figsize=(4.2 * len(blocks), 4.5), squeeze=False)
    for ax, (name, samples) in zip(axes[0], blocks, strict=True):
        labels = list(samples)
        ax.boxplot([samples[label] for label in labels], showfliers=True)
        ax.set_xticks(range(1, len(labels) + 1), labels, rotation=20, ha="right", fontsize=8)
        ax.set_yscale("log")
        ax.set_title(name, fontsize=9)
        ax.set_ylabel("µs per call (per round)")
        ax.grid(True, axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
