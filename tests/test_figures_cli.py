"""Figure discovery, `condense figure`, and bad input to the figure modules."""


import pytest

from condense.cli import main
from condense.figures import FIGURE_ORDER, discover_figures, figure_defaults

MINE = ("loss_condensation", "final_stage", "matrix_factorization", "effective_model", "plateau_scaling",
        "feature_maps")


def test_discovery_finds_the_report_figures_in_order():
    figures, broken = discover_figures()
    assert broken == []
    names = list(figures)
    assert set(MINE) <= set(names)
    modules = [figures[n].__name__.rsplit(".", 1)[-1] for n in names]
    known = [m for m in modules if m in FIGURE_ORDER]
    assert known == sorted(known, key=FIGURE_ORDER.index)
    for module in figures.values():
        assert module.TITLE and len(module.CLAIM) > 40
        defaults = figure_defaults(module)
        assert not {"seed", "quick", "out"} & set(defaults)  # added by the caller


def test_figure_help_lists_every_figure(capsys):
    with pytest.raises(SystemExit) as info:
        main(["figure", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in discover_figures()[0]:
        assert name in out


def test_unknown_figure_is_a_clear_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["figure", "no_such_figure", "--out", "x"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "no_such_figure" in err and "loss_condensation" in err


@pytest.mark.parametrize(
    "name, params, word",
    [
        ("loss_condensation", {"epsilon": 2.0}, "epsilon"),
        ("loss_condensation", {"steps_factor": 0.5}, "steps_factor"),
        ("final_stage", {"alphas": [1.0]}, "alphas"),
        ("matrix_factorization", {"depth": 2}, "depth"),
        ("matrix_factorization", {"rank": 20}, "rank"),
        ("effective_model", {"closest": 0.5}, "closest"),
        ("plateau_scaling", {"depths": [1, 3]}, "depths"),
        ("feature_maps", {"demo_loss_drop": 1.5}, "demo_loss_drop"),
    ],
)
def test_bad_parameters_name_the_parameter(tmp_path, name, params, word):
    module = discover_figures()[0][name]
    with pytest.raises(ValueError, match=word):
        module.make(tmp_path, quick=True, **params)
    assert not any(tmp_path.iterdir())  # nothing written


def test_figure_command_on_a_tiny_case(tmp_path, capsys):
    code = main(["figure", "matrix_factorization", "--out", str(tmp_path), "--size", "6", "--rank", "1",
                 "--epsilon", "0.01", "--seed", "2"])
    out = capsys.readouterr().out
    assert code == 0 and "check passed" in out
    for ext in ("png", "pdf"):
        assert (tmp_path / f"matrix_factorization.{ext}").stat().st_size > 1000


def test_explicit_options_win_over_quick_defaults():
    from condense.figures._params import resolve_parameters
    from condense.figures.feature_maps import QUICK, add_arguments

    p = resolve_parameters(add_arguments, {"width": 500}, quick=QUICK)
    assert p["width"] == 500 and p["steps"] == QUICK["steps"] and p["n"] == QUICK["n"]
    assert resolve_parameters(add_arguments, {})["width"] == 200  # the option's default
    with pytest.raises(TypeError, match="widht"):
        resolve_parameters(add_arguments, {"widht": 3})


def test_figure_help_states_each_default_once_and_never_none(capsys):
    import re

    for name in discover_figures()[0]:
        with pytest.raises(SystemExit):
            main(["figure", name, "--help"])
        options = capsys.readouterr().out.split("options:", 1)[1]
        for entry in re.split(r"\n(?=  -)", options)[1:]:  # an option's entry starts a line with "  -"
            entry = " ".join(entry.split())  # undo the line wrapping
            if entry.startswith("-h"):
                continue
            assert entry.count("(default") == 1, (name, entry)
            assert "(default: None)" not in entry, (name, entry)
