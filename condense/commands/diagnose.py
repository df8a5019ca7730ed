"""``condense diagnose RUN --data NAME_OR_FILE --out DIR``: condensation measures of a training run
made anywhere (PyTorch, JAX/Flax, NumPy snapshots; :mod:`condense.runs`, :mod:`condense.diagnostics`)."""

from __future__ import annotations

import argparse

#: At most this many snapshots get a heatmap (the numbers cover every snapshot).
MAX_HEATMAPS = 12
#: Rows of the Markdown table (every snapshot is in diagnosis.json).
MAX_TABLE_ROWS = 40


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "diagnose",
        help="condensation measures of a training run saved as .npz/.safetensors snapshots",
        description=(
            "Load a training run (a folder of .npz or .safetensors weight snapshots, PyTorch state_dict "
            "or Flax naming, optional run.json), and write per layer and snapshot the cosine-similarity "
            "heatmaps of the neurons' input weights, the number of condensed orientations, the effective "
            "rank and the relative distance from the first snapshot; for depth 3 the final-stage closeness; "
            "from a small initialization with known learning rate the predicted plateau escape against the "
            "observed one. Writes diagnosis.md, diagnosis.html (self-contained), diagnosis.json and "
            "figures/ to --out."
        ),
    )
    parser.add_argument("run", nargs="+", metavar="RUN", help="a folder of snapshots, or snapshot files")
    parser.add_argument("--data", default=None, metavar="NAME_OR_FILE",
                        help="a data set name (digits, diabetes, iris, breast_cancer, wine, default, linear, 1d) "
                        "or an .npz file with X (n, d) and y (n,) or (n, k) (default: run.json 'data')")
    parser.add_argument("--target", default=None, choices=("regression", "binary", "onehot"),
                        help="target of a real data set (default: binary, regression for diabetes)")
    parser.add_argument("--classes", default=None, metavar="C1,C2",
                        help="classes of a real data set, comma-separated labels or names (binary: the +1 and -1 "
                        "classes; default: even against odd labels)")
    parser.add_argument("--activation", default=None, help="activation of the run (default: run.json 'activation')")
    parser.add_argument("--lr", type=float, default=None, help="learning rate of the run (default: run.json 'lr')")
    parser.add_argument("--layers", default=None, metavar="NAME,NAME,...",
                        help="explicit layer order, input to output (module names such as fc1,fc2,head)")
    parser.add_argument("--delta", type=float, default=None,
                        help="orientation clustering cut: one orientation when |cos| >= 1 - delta (default 0.05)")
    parser.add_argument("--heatmaps", type=int, default=4,
                        help=f"snapshots drawn as heatmaps, evenly spaced, first and last included (1..{MAX_HEATMAPS}, default 4)")
    parser.add_argument("--out", default="diagnosis", help="output folder (default ./diagnosis)")
    parser.set_defaults(func=run)


def _data_spec(args, run):
    """The data argument for :func:`condense.runs.load_data` (``None`` when there are no data)."""
    spec = args.data if args.data is not None else run.data
    if args.target is None and args.classes is None:
        return spec
    from numerics.data import REAL_DATASET_NAMES

    name = spec.get("name") if isinstance(spec, dict) else spec
    if name not in REAL_DATASET_NAMES:
        raise ValueError(f"--target/--classes: apply to the real data sets ({', '.join(REAL_DATASET_NAMES)}), not {name!r}")
    options = dict(spec) if isinstance(spec, dict) else {"name": name}
    if args.target is not None:
        options["target"] = args.target
    if args.classes is not None:
        items = [c.strip() for c in args.classes.split(",") if c.strip()]
        options["classes"] = [int(c) if c.lstrip("-").isdigit() else c for c in items]
    return options


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from theory.ground.checks import check_int, check_real
    from theory.ground.io import check_output_dir

    out = check_output_dir(args.out, "--out")
    check_int(args.heatmaps, "--heatmaps", 1, MAX_HEATMAPS)
    if args.delta is not None:
        check_real(args.delta, "--delta", 0.0, 1.0, low_open=True, high_open=True)
    if args.lr is not None:
        check_real(args.lr, "--lr", 0.0, low_open=True)
    layers = None if args.layers is None else [m.strip() for m in args.layers.split(",") if m.strip()]

    from theory.ground.progress import Progress

    from condense.diagnostics import DEFAULT_DELTA, diagnose
    from condense.runs import snapshot_files, load_data, load_run

    source = args.run[0] if len(args.run) == 1 else args.run
    files, _, _ = snapshot_files(source)
    with Progress(len(files), "reading snapshots") as progress:
        run_ = load_run(source, layers=layers, progress=progress)
    spec = _data_spec(args, run_)
    X = y = None
    data_text = "none"
    if spec is not None:
        X, y, data_text = load_data(spec, argument="--data" if args.data is not None else "run.json 'data'")
    activation = args.activation if args.activation is not None else run_.activation
    if activation is not None:
        from theory.activations import activation_expr

        activation_expr(activation)  # an unknown activation is an error before the work
    lr = args.lr if args.lr is not None else run_.lr
    delta = DEFAULT_DELTA if args.delta is None else args.delta
    with Progress(len(run_.steps), "measuring snapshots") as progress:
        result = diagnose(run_.steps, run_.snapshots, X, y, activation=activation, lr=lr, loss=run_.loss,
                          snapshot_loss=run_.snapshot_loss, has_bias=run_.has_bias, biases=run_.biases, delta=delta,
                          progress=progress)
    result["run"] = {
        "source": str(run_.source), "files": [str(f) for f in run_.files], "naming": run_.naming,
        "layer_names": run_.layer_names, "widths": list(run_.widths), "steps_from": run_.steps_from,
        "lr": lr, "activation": activation, "data": data_text, "has_bias": run_.has_bias,
    }
    print("condense diagnose: drawing figures ...", file=sys.stderr, flush=True)
    write_diagnosis(out, result, run_, args.heatmaps)
    for name in ("diagnosis.md", "diagnosis.html", "diagnosis.json"):
        print(f"wrote {out / name}")
    escape = result.get("escape") or {}
    if escape.get("applies"):
        ratio = escape.get("ratio")
        print(f"plateau escape: predicted {escape['predicted']:.1f}, observed {escape.get('observed')}"
              + (f", ratio {ratio:.4f}" if ratio is not None else "")
              + (f" (in ({escape['ratio_after']:.4f}, {ratio:.4f}]: between two snapshots)"
                 if escape.get("ratio_after") is not None else ""))
    return 0


def _heatmap_indices(count: int, wanted: int, extra: int | None) -> list[int]:
    import numpy as np

    picks = set(np.unique(np.round(np.linspace(0, count - 1, min(wanted, count))).astype(int)).tolist())
    if extra is not None:
        picks.add(int(extra))
    return sorted(picks)


def write_diagnosis(out, result: dict, run_, heatmaps: int) -> None:
    """Draw the figures into ``out/figures`` and write diagnosis.json, .md and .html (each atomically)."""
    import json
    import re

    import numpy as np

    from condense.figures._base import apply_style, save_figure
    from condense.figures._plotting import cosine_matrix, draw_cosine_heatmap, leading_eigenvector_order
    from condense.report.html import markdown_to_html
    from theory.ground.io import write_text_atomic

    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    figures = out / "figures"
    apply_style()
    steps = result["steps"]
    escape = result.get("escape") or {}
    escape_index = None
    if escape.get("observed") is not None:
        escape_index = int(np.argmin(np.abs(np.asarray(steps) - escape["observed"])))
    picks = _heatmap_indices(len(steps), heatmaps, escape_index)
    images = []
    hidden = [entry for entry in result["layers"] if entry["hidden"]]
    for entry in hidden:
        k = entry["layer"] - 1
        fig, axes = plt.subplots(1, len(picks), figsize=(3.1 * len(picks) + 0.8, 3.4), squeeze=False)
        image = None
        for ax, j in zip(axes[0], picks):
            rows = run_.snapshots[j][k]
            order = leading_eigenvector_order(cosine_matrix(rows))
            image = draw_cosine_heatmap(ax, rows, f"step {steps[j]}: {entry['orientations'][j]} orientation(s)", order=order)
        fig.colorbar(image, ax=list(axes[0]), shrink=0.85, label="cosine similarity")
        fig.suptitle(f"Layer {k + 1} (module '{run_.layer_names[k]}'): cosine similarity of the neurons' input weights")
        save_figure(fig, figures, f"heatmaps_layer{k + 1}")
        images.append((f"Layer {k + 1}", f"figures/heatmaps_layer{k + 1}.png"))
    _measures_figure(result, figures, run_)
    images.append(("Measures along the run", "figures/measures.png"))

    from verify.result import _jsonable

    json_ready = _jsonable(result)
    write_text_atomic(out / "diagnosis.json", json.dumps(json_ready, indent=1, allow_nan=False) + "\n")
    markdown = _markdown(result, images)
    write_text_atomic(out / "diagnosis.md", markdown)
    page = markdown_to_html(markdown, title="condense diagnosis", base_dir=out)
    page = re.sub(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>\s*', "", page)  # stands alone offline
    write_text_atomic(out / "diagnosis.html", page)


def _measures_figure(result: dict, figures, run_) -> None:
    import numpy as np
    import matplotlib.pyplot as plt

    from condense.figures._base import save_figure

    steps = np.asarray(result["steps"])
    escape = result.get("escape") or {}
    final = result.get("final_stage")
    panels = 4 + (final is not None)
    fig, axes = plt.subplots(1, panels, figsize=(3.6 * panels, 3.4), squeeze=False)
    axes = axes[0]
    loss = run_.loss
    if loss is not None:
        axes[0].semilogy(np.arange(len(loss)), loss, color="black", label="loss (stored)")
    elif escape.get("snapshot_loss") is not None or (result.get("loss") or {}).get("values") is not None:
        values = escape["snapshot_loss"] if escape.get("snapshot_loss") is not None else result["loss"]["values"]
        axes[0].semilogy(steps, values, "o-", color="black", ms=3, label="loss at the snapshots")
        axes[0].legend(loc="lower left")
    else:
        axes[0].text(0.5, 0.5, "no loss: give --data and --activation", ha="center", va="center", transform=axes[0].transAxes)
    if escape.get("applies"):
        axes[0].axvline(escape["predicted"], color="tab:red", label=f"predicted escape {escape['predicted']:.0f}")
        if escape.get("observed") is not None:
            axes[0].axvline(escape["observed"], color="tab:blue", ls=":", label=f"observed {escape['observed']}")
        axes[0].legend(loc="lower left")
    axes[0].set(title="loss", xlabel="step")
    for entry in result["layers"]:
        label = f"layer {entry['layer']}"
        rd = [np.nan if v is None else v for v in entry["rd"]]
        axes[1].plot(steps, rd, "o-", ms=3, label=label)
        axes[2].plot(steps, entry["effective_rank"], "o-", ms=3, label=label)
        if entry["hidden"]:
            axes[3].plot(steps, entry["orientations"], "o-", ms=3, label=label)
    axes[1].set(title="relative distance RD from the first snapshot", xlabel="step")
    if np.nanmax([np.nan if v is None else v for e in result["layers"] for v in e["rd"]] + [0]) > 0:
        axes[1].set_yscale("symlog", linthresh=1e-3)
    axes[2].set(title="effective rank (Roy & Vetterli)", xlabel="step")
    axes[3].set(title=f"condensed orientations (δ = {result['delta']:g})", xlabel="step")
    axes[3].set_ylim(bottom=0)
    for ax in axes[1:4]:
        ax.legend()
    if final is not None:
        axes[4].plot(steps, final["fraction"], "o-", ms=3, label="fraction of positive terms")
        axes[4].plot(steps, final["rho"], "s-", ms=3, label="ρ")
        axes[4].set(title="final-stage closeness (depth 3)", xlabel="step", ylim=(0, 1.05))
        axes[4].legend()
    save_figure(fig, figures, "measures")


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "–"
    if isinstance(value, (bool,)):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}g}"


def _markdown(result: dict, images) -> str:
    import numpy as np

    run = result["run"]
    lines = [
        "# Diagnosis of a training run",
        "",
        f"Run `{run['source']}`: {len(result['steps'])} snapshots (steps {result['steps'][0]}–{result['steps'][-1]}, "
        f"step numbers from {run['steps_from']}), {run['naming']} naming, layers {', '.join(f'`{n}`' for n in run['layer_names'])}, "
        f"widths {'–'.join(str(w) for w in run['widths'])} (input dimension, hidden widths, outputs), depth {result['depth']}. "
        f"Data: {run['data']}. Activation: {run['activation'] or 'not given'}. Learning rate: {_fmt(run['lr'])}.",
        "",
    ]
    for note in result["notes"]:
        lines += [f"- {note}"]
    if result["notes"]:
        lines.append("")
    escape = result.get("escape")
    lines += ["## Plateau escape", ""]
    other = result.get("loss")
    if not escape and other:
        lines += [f"No prediction (see the notes above). The loss ({other['source']}) first falls below half its "
                  f"initial value at step {other['observed'] if other['observed'] is not None else '– (never)'}"
                  + (f" (after step {other['observed_after']})" if other["observed"] is not None else "") + ".", ""]
    elif not escape:
        lines += ["Not computed (see the notes above).", ""]
    elif not escape["applies"]:
        lines += [f"Not applicable: {escape['reason']}.", ""]
    else:
        observed = escape.get("observed")
        lines += [
            (f"Predicted by the effective model (blow-up time T* = {_fmt(escape['t_star'], 6)} of the normalized "
             "initial state, " if escape["method"] == "blow-up" else
             "Predicted by the linear effective flow of depth 2 (growing mode until the fit along v saturates, "
             "numerics.predict_escape; ")
            + f"ε = {_fmt(escape['epsilon'])} the RMS of the first snapshot, ‖v'‖ = {_fmt(escape['v_prime_norm'])}): "
            f"iteration **{escape['predicted']:.1f}**. Observed (loss first below half its initial value, "
            f"{escape['loss_source']}): **{observed if observed is not None else 'not reached'}**"
            + (f" (after step {escape['observed_after']}, the last snapshot still on the plateau)"
               if observed is not None and escape.get("snapshot_loss") is not None else "")
            + (f"; observed/predicted = **{escape['ratio']:.4f}**" if escape.get("ratio") is not None else "")
            + (f" (the escape lies between two snapshots: the ratio is in ({escape['ratio_after']:.4f}, "
               f"{escape['ratio']:.4f}])." if escape.get("ratio_after") is not None else "."),
            "",
        ]
    lines += ["## Per-layer measures", "",
              f"Orientations: complete-linkage clusters of the rows with |cos| ≥ 1 − δ, δ = {result['delta']:g} "
              "(w and −w are one orientation); erank: effective rank exp(−Σ pᵢ log pᵢ), pᵢ = sᵢ/Σsⱼ of the singular "
              "values; RD: ‖W(t) − W(0)‖/‖W(0)‖ from the first snapshot; mean |cos|: over distinct pairs of neurons.", ""]
    header = ["step"]
    for entry in result["layers"]:
        k = entry["layer"]
        if entry["hidden"]:
            header += [f"W{k} orientations", f"W{k} mean abs cos"]
        header += [f"{'W' + str(k) if entry['hidden'] else 'output'} erank", f"{'W' + str(k) if entry['hidden'] else 'output'} RD"]
    final = result.get("final_stage")
    if final is not None:
        header += ["final-stage fraction", "ρ"]
    lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    count = len(result["steps"])
    rows = np.unique(np.round(np.linspace(0, count - 1, min(count, MAX_TABLE_ROWS))).astype(int))
    for j in rows:
        cells = [str(result["steps"][j])]
        for entry in result["layers"]:
            if entry["hidden"]:
                cells += [_fmt(entry["orientations"][j]), _fmt(entry["mean_abs_cos"][j], 3)]
            cells += [_fmt(entry["effective_rank"][j], 3), _fmt(entry["rd"][j], 3)]
        if final is not None:
            cells += [_fmt(final["fraction"][j], 3), _fmt(final["rho"][j], 3)]
        lines.append("| " + " | ".join(cells) + " |")
    if len(rows) < count:
        lines += ["", f"({len(rows)} of {count} snapshots shown; diagnosis.json has all.)"]
    if final is not None:
        first = final["first_holding"]
        lines += ["", "Final-stage condition (every term a_i W_ij u_j of E positive, u = W¹v): "
                  + (f"first holds at step {result['steps'][first]}." if first is not None else "never holds in these snapshots.")]
    lines += ["", "## Figures", ""]
    for title, path in images:
        lines += [f"![{title}]({path})", ""]
    return "\n".join(lines)
