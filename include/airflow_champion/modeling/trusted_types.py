"""What a saved model may contain: the reviewed list of classes skops is allowed to load.

Models are saved with skops, never pickle. Anything outside TRUSTED_TYPES fails at save time, so a
config naming a new estimator needs a reviewed addition here (`untrusted_types` lists what it needs).
"""

from __future__ import annotations

from typing import Any

from airflow_champion import settings

# Reviewed: sklearn preprocessing + the estimators the shipped configs use, and their fitted parts.
TRUSTED_TYPES: list[str] = [
    "sklearn.pipeline.Pipeline",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.compose._column_transformer._RemainderColsList",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._gb.GradientBoostingClassifier",
    "sklearn.dummy.DummyClassifier",
    "builtins.slice",
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.int64",
    "collections.OrderedDict",
]


def untrusted_types(model: Any) -> list[str]:
    """What skops would refuse to load from this fitted model beyond TRUSTED_TYPES."""
    sio = settings.import_skops()
    return sorted(set(sio.get_untrusted_types(data=sio.dumps(model))) - set(TRUSTED_TYPES))
