"""numerics.make_dataset on the real data sets bundled with scikit-learn (no download)."""

import numpy as np
import pytest
import sklearn.datasets

from numerics.data import REAL_DATASET_NAMES, data_direction, make_dataset

RAW = {
    "digits": sklearn.datasets.load_digits,
    "diabetes": lambda: sklearn.datasets.load_diabetes(scaled=False),
    "iris": sklearn.datasets.load_iris,
    "breast_cancer": sklearn.datasets.load_breast_cancer,
    "wine": sklearn.datasets.load_wine,
}


@pytest.mark.parametrize("name", REAL_DATASET_NAMES)
def test_inputs_are_the_standardized_raw_inputs(name):
    raw = RAW[name]()
    X, y = make_dataset(name)
    assert X.shape == raw.data.shape and y.shape == (raw.data.shape[0],)
    spread = raw.data.std(axis=0)
    varying = spread > 0
    # z-score of every column over all samples, computed here from the raw data
    expected = (raw.data[:, varying] - raw.data[:, varying].mean(axis=0)) / spread[varying]
    np.testing.assert_allclose(X[:, varying], expected, rtol=1e-12, atol=1e-12)
    assert np.all(X[:, ~varying] == 0)
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X[:, varying].std(axis=0), 1, rtol=1e-12)
    raw_X, _ = make_dataset(name, standardize=False)
    np.testing.assert_array_equal(raw_X, raw.data)


def test_binary_pair_and_even_odd_targets():
    labels = sklearn.datasets.load_digits().target
    X, y = make_dataset("digits", target="binary", classes=(3, 8))
    assert set(np.unique(y)) == {-1.0, 1.0}
    assert np.sum(y == 1) == np.sum(labels == 3) and np.sum(y == -1) == np.sum(labels == 8)
    _, y_all = make_dataset("digits")  # default: even against odd
    np.testing.assert_array_equal(y_all, np.where(labels % 2 == 0, 1.0, -1.0))
    _, v = data_direction(X, y)  # a binary task on real data has a target direction
    assert np.isclose(np.linalg.norm(v), 1.0)
    _, y_names = make_dataset("iris", target="binary", classes=("versicolor", "setosa"))
    assert np.sum(y_names == 1) == 50 and np.sum(y_names == -1) == 50


def test_onehot_targets_have_one_class_per_row():
    labels = sklearn.datasets.load_wine().target
    _, Y = make_dataset("wine", target="onehot")
    assert Y.shape == (labels.size, 3)
    np.testing.assert_array_equal(Y.sum(axis=1), 1.0)
    np.testing.assert_array_equal(Y.argmax(axis=1), labels)
    _, Y2 = make_dataset("wine", target="onehot", classes=[2, 0])
    kept = labels[np.isin(labels, [2, 0])]
    np.testing.assert_array_equal(Y2[:, 0], (kept == 2).astype(float))


def test_regression_target_is_centred_and_scaled():
    raw = sklearn.datasets.load_diabetes(scaled=False).target
    _, y = make_dataset("diabetes")
    assert abs(y.mean()) < 1e-12 and abs(y.std() - 1) < 1e-12
    assert np.corrcoef(y, raw)[0, 1] > 1 - 1e-12  # an increasing affine map of the raw target
    _, digit = make_dataset("digits", target="regression")
    labels = sklearn.datasets.load_digits().target
    assert np.corrcoef(digit, labels)[0, 1] > 1 - 1e-12


def test_subsets_are_seeded_rows_of_the_data_set():
    raw = sklearn.datasets.load_iris().data
    A, _ = make_dataset("iris", n=30, seed=4, standardize=False)
    B, _ = make_dataset("iris", n=30, seed=4, standardize=False)
    C, _ = make_dataset("iris", n=30, seed=5, standardize=False)
    np.testing.assert_array_equal(A, B)
    assert not np.array_equal(A, C)
    rows = {tuple(r) for r in raw}
    assert all(tuple(r) in rows for r in A)
    S, _ = make_dataset("iris", n=30, seed=4)
    np.testing.assert_allclose(S.std(axis=0), 1, rtol=1e-12)  # standardized over the subset


def test_synthetic_data_sets_unchanged():
    X, y = make_dataset("default")
    rng = np.random.default_rng(0)
    expected = rng.standard_normal((40, 3))
    np.testing.assert_array_equal(X, expected)
    np.testing.assert_allclose(y, np.sin(expected.sum(axis=1) / np.sqrt(3)))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        (dict(name="digits", target="softmax"), "target"),
        (dict(name="diabetes", target="binary"), "target"),
        (dict(name="diabetes", classes=[0, 1]), "classes"),
        (dict(name="iris", target="binary", classes=[0, 1, 2]), "classes"),
        (dict(name="iris", classes=[0, 7]), "classes"),
        (dict(name="iris", classes=["rose"]), "classes"),
        (dict(name="iris", classes=[1, 1]), "classes"),
        (dict(name="iris", n=151), "n"),
        (dict(name="iris", d=3), "d"),
        (dict(name="default", target="binary"), "target"),
        (dict(name="linear", standardize=False), "standardize"),
        (dict(name="mnist"), "name"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, argument):
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=f"^{argument}:"):
        make_dataset(name, **kwargs)
