"""Seeded data generators for the demo models, with drift and corruption injection.

Why synthetic: the retraining story (a noisy first champion, a better challenger, a badly labelled
snapshot, a corrupted one, drift) must be reproducible on a laptop and in CI, so every snapshot is a
pure function of (generator, rows, seed, label_noise, drift, corruption).

* `generate_churn` draws subscription-churn customers with the columns of include/configs/churn.yaml;
  the label has real, non-linear signal (contract, early tenure, tickets, inactivity, price, autopay).
* `generate_breast_cancer` resamples scikit-learn's bundled Wisconsin data with measurement noise.
* `write_weekly_snapshots` lands one ISO-dated snapshot per week through `include.snapshots`.

Independent random streams (features, labels, label noise, nulls, corruption) are spawned from the
seed, so `drift="concept"` keeps X byte-identical to `drift="none"` and a corruption changes nothing
but its defect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from include.errors import ConfigError

if TYPE_CHECKING:
    from include.config import ModelConfig
    from include.snapshots import Manifest

DRIFTS: tuple[str, ...] = ("none", "mild", "covariate", "strong", "categorical", "concept")
CORRUPTIONS: tuple[str, ...] = (
    "nulls",
    "out_of_range",
    "unknown_category",
    "drop_column",
    "wrong_dtype",
    "single_class",
)
# breast_cancer has no categorical feature, so these two do not apply to it
BREAST_CANCER_DRIFTS: tuple[str, ...] = ("none", "mild", "covariate", "strong", "concept")
BREAST_CANCER_CORRUPTIONS: tuple[str, ...] = (
    "nulls",
    "out_of_range",
    "drop_column",
    "wrong_dtype",
    "single_class",
)

CONTRACTS = ("month-to-month", "one-year", "two-year")
PAYMENTS = ("card", "bank-transfer", "electronic-check", "mailed-check")
REGIONS = ("north", "south", "east", "west")
TIERS = ("basic", "standard", "premium")
YES_NO = ("yes", "no")

CHURN_NUMERIC = (
    "tenure_months",
    "monthly_charges",
    "total_charges",
    "support_tickets_90d",
    "avg_session_minutes",
    "days_since_last_login",
    "num_products",
    "age",
)
CHURN_CATEGORICAL = ("contract_type", "payment_method", "region", "plan_tier", "has_autopay")
CHURN_TARGET = "churned"
CHURN_DEFAULT_ROWS = 5000

# share of missing values per nullable column: missing measurements, independent of the label
CHURN_NULL_RATES: dict[str, float] = {
    "total_charges": 0.015,
    "avg_session_minutes": 0.01,
    "age": 0.02,
    "payment_method": 0.01,
    "region": 0.005,
    "has_autopay": 0.01,
}

BC_TARGET = "target"
BC_DEFAULT_ROWS = 569
BC_NOISE_SD = 0.015  # ~1.5% multiplicative measurement noise
BC_MILD_FEATURES = ("mean texture", "worst texture")
BC_STRONG_FEATURES = (
    "mean radius",
    "mean texture",
    "mean perimeter",
    "mean area",
    "mean smoothness",
    "mean compactness",
    "mean concavity",
    "mean concave points",
    "worst radius",
    "worst texture",
    "worst perimeter",
    "worst area",
)

_STREAMS = ("features", "labels", "label_noise", "nulls", "corruption")


def _streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per concern, so changing one knob leaves the other draws alone."""
    children = np.random.SeedSequence(int(seed)).spawn(len(_STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(_STREAMS, children, strict=True)}


def _check_choice(kind: str, value: str | None, allowed: tuple[str, ...], generator: str) -> None:
    if value is None and kind == "corruption":
        return
    if value not in allowed:
        raise ValueError(f"unknown {kind} {value!r} for {generator}; allowed: {', '.join(allowed)}")


def _check_common(rows: int, label_noise: float) -> None:
    if int(rows) < 1:
        raise ValueError(f"rows must be >= 1, got {rows}")
    if not 0.0 <= float(label_noise) <= 1.0:
        raise ValueError(f"label_noise must be in [0, 1], got {label_noise}")


def _categorical_codes(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Vectorised draw of one category per row from a (rows, k) matrix of unnormalised weights."""
    cum = np.cumsum(probs, axis=1)
    cum = cum / cum[:, -1:]
    u = rng.random(int(probs.shape[0]))
    return (u[:, None] > cum[:, :-1]).sum(axis=1)


def _shared_codes(rng: np.random.Generator, probs: tuple[float, ...] | list[float], rows: int) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    cum = np.cumsum(p / p.sum())
    return np.searchsorted(cum[:-1], rng.random(rows), side="right")


def _labels(rng: np.random.Generator, logit: np.ndarray) -> np.ndarray:
    prob = 1.0 / (1.0 + np.exp(-logit))
    return (rng.random(logit.shape[0]) < prob).astype(np.int64)


def _apply_label_noise(rng: np.random.Generator, y: np.ndarray, p: float) -> np.ndarray:
    """Replace a share p of labels by draws at the base rate, independent of the features.

    Why not a plain flip: with ~25% positives, flipping 25% of labels caps any model's ROC AUC on the
    noisy labels near 0.70, so the documented noisy first snapshot could never pass the floor. Resampling
    keeps prevalence unchanged and only erodes learnable signal (an effective flip rate of about 0.42 p).
    """
    if p <= 0:
        return y
    n = y.shape[0]
    replace = rng.random(n) < p
    random_labels = np.asarray(rng.random(n) < float(y.mean()), dtype=np.int64)
    return np.where(replace, random_labels, y)


# --------------------------------------------------------------------------------------------- churn


def _churn_logit(x: dict[str, np.ndarray], concept: bool) -> np.ndarray:
    """Log-odds of churn; `concept=True` is the post-change world (same X, different X -> y)."""
    tenure = x["tenure_months"]
    monthly = x["monthly_charges"]
    tickets = x["support_tickets_90d"]
    login = x["days_since_last_login"]
    session = x["avg_session_minutes"]
    mtm = (x["contract_code"] == 0).astype(float)
    two_year = (x["contract_code"] == 2).astype(float)
    autopay = (x["autopay_code"] == 0).astype(float)
    echeck = (x["payment_code"] == 2).astype(float)
    mailed = (x["payment_code"] == 3).astype(float)
    if concept:
        # a competitor targets loyal long-contract customers; complainers are now the engaged ones
        return (
            -1.45
            - 0.9 * mtm
            + 1.3 * two_year
            + 0.025 * np.minimum(tenure, 80.0)
            - 0.45 * np.minimum(tickets, 6.0)
            + 0.045 * (x["age"] - 42.0)
            + 0.9 * mailed
            - 0.02 * (monthly - 65.0)
        )
    return (
        -3.0
        + 3.0 * mtm
        - 2.2 * two_year
        + 3.6 * np.exp(-tenure / 5.0)  # the first months are the riskiest
        - 0.9 * np.log1p(tenure / 12.0)
        + 0.7 * np.minimum(tickets, 6.0)
        + 1.8 * (tickets >= 3)
        + 4.8 / (1.0 + np.exp(-(login - 21.0) / 3.5))  # inactive for ~3 weeks
        + 0.08 * (monthly - 65.0) * mtm  # price-sensitive only without a contract
        - 1.6 * autopay
        + 1.1 * echeck
        - 0.9 * np.log(session / 22.0)
    )


def _churn_features(rng: np.random.Generator, rows: int, drift: str) -> dict[str, np.ndarray]:
    """Raw feature values (no nulls yet); covariate drifts are applied here, before labelling."""
    strong = drift in ("covariate", "strong")
    categorical = drift == "categorical"

    tenure = rng.gamma(1.3, 24.0, rows)
    engagement = rng.standard_normal(rows)
    tier = _shared_codes(rng, (0.3, 0.4, 0.3) if categorical else (0.5, 0.33, 0.17), rows)
    products = 1.0 + rng.poisson(0.5 + tenure / 60.0)
    monthly = np.array([35.0, 65.0, 100.0])[tier] + 7.0 * (products - 1.0) + rng.normal(0.0, 10.0, rows)
    bill_ratio = rng.uniform(0.9, 1.05, rows)
    partial_month = rng.random(rows)
    tickets_lam = 0.6 + 0.5 * (tier == 0) + 0.5 * np.maximum(-engagement, 0.0)
    tickets_u = rng.random(rows)
    session = np.exp(3.1 + 0.55 * engagement + rng.normal(0.0, 0.3, rows))
    login = rng.exponential(1.0, rows) * 7.0 * np.exp(-0.8 * engagement)
    age = rng.normal(42.0, 13.0, rows)

    if drift == "mild":  # +0.25 sd on two numeric features
        monthly = monthly + 6.0
        session = session * 0.88
    elif strong:  # 4 of 8 numeric features move by >= 1 sd; some raise churn, some lower it
        tenure = tenure * 0.5
        monthly = monthly + 30.0
        session = session * 3.5
        login = login * 3.0
        products = products + 2.0  # bundled add-ons, free of charge

    tenure = np.clip(np.round(tenure), 0, 240)
    products = np.clip(products, 1, 20)
    monthly = np.round(np.clip(monthly, 5.0, 1000.0), 2)
    months_billed = np.where(tenure > 0, tenure * bill_ratio, partial_month)
    total = np.round(months_billed * monthly, 2)
    tickets = np.clip(_poisson_from_uniform(tickets_lam, tickets_u), 0, 200)
    session = np.round(np.clip(session, 0.5, 1440.0), 1)
    login = np.clip(np.round(login), 0, 3650)
    age = np.clip(np.round(age), 18, 90)

    # contract choice depends on tenure (loyal customers sign longer contracts)
    s = tenure / 24.0
    contract_logits = np.stack([1.2 - 0.5 * s, np.full(rows, 0.2), -0.6 + 0.5 * s], axis=1)
    if categorical:
        contract_logits = contract_logits + np.array([1.2, 0.0, -0.4])
    contract_p = np.exp(contract_logits - contract_logits.max(axis=1, keepdims=True))
    contract = _categorical_codes(rng, contract_p)

    payment_p = (0.2, 0.2, 0.5, 0.1) if categorical else (0.35, 0.25, 0.28, 0.12)
    payment = _shared_codes(rng, payment_p, rows)
    autopay_yes_p = np.array([0.7, 0.8, 0.2, 0.1])[payment]
    autopay = np.where(rng.random(rows) < autopay_yes_p, 0, 1)
    region = _shared_codes(rng, (0.55, 0.1, 0.2, 0.15) if categorical else (0.28, 0.24, 0.26, 0.22), rows)

    return {
        "tenure_months": tenure.astype(float),
        "monthly_charges": monthly,
        "total_charges": total,
        "support_tickets_90d": tickets.astype(float),
        "avg_session_minutes": session,
        "days_since_last_login": login.astype(float),
        "num_products": products.astype(float),
        "age": age.astype(float),
        "contract_code": contract,
        "payment_code": payment,
        "region_code": region,
        "tier_code": tier,
        "autopay_code": autopay,
    }


def _poisson_from_uniform(lam: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Poisson quantiles of fixed uniforms: a larger rate shifts the same customers up (paired drift)."""
    k = np.zeros(lam.shape[0])
    term = np.exp(-lam)
    cdf = term.copy()
    for i in range(1, 60):
        below = u > cdf
        if not below.any():
            break
        k += below
        term = term * lam / i
        cdf = cdf + term
    return k


def _codes_to_strings(codes: np.ndarray, values: tuple[str, ...]) -> np.ndarray:
    return np.asarray(values, dtype=object)[codes]


def generate_churn(
    rows: int = CHURN_DEFAULT_ROWS,
    seed: int = 0,
    *,
    label_noise: float = 0.0,
    drift: str = "none",
    corruption: str | None = None,
) -> pd.DataFrame:
    """Synthetic subscription-churn customers: the 13 features of configs/churn.yaml plus `churned`.

    About 30% churn. The signal is strong on purpose (HistGradientBoosting reaches ROC AUC ~0.94 on clean
    data) so that an 800-row snapshot with label_noise=0.25 still clears the 0.70 floor on its own noisy
    holdout. Nullable columns carry 0.5-2% nulls; contract_type and plan_tier never do.
    """
    _check_common(rows, label_noise)
    _check_choice("drift", drift, DRIFTS, "churn")
    _check_choice("corruption", corruption, CORRUPTIONS, "churn")
    rows = int(rows)
    rngs = _streams(seed)
    x = _churn_features(rngs["features"], rows, drift)
    y = _labels(rngs["labels"], _churn_logit(x, concept=drift == "concept"))
    y = _apply_label_noise(rngs["label_noise"], y, float(label_noise))

    data: dict[str, Any] = {name: x[name] for name in CHURN_NUMERIC}
    data["contract_type"] = _codes_to_strings(x["contract_code"], CONTRACTS)
    data["payment_method"] = _codes_to_strings(x["payment_code"], PAYMENTS)
    data["region"] = _codes_to_strings(x["region_code"], REGIONS)
    data["plan_tier"] = _codes_to_strings(x["tier_code"], TIERS)
    data["has_autopay"] = _codes_to_strings(x["autopay_code"], YES_NO)
    data[CHURN_TARGET] = y
    df = pd.DataFrame(data)

    null_rng = rngs["nulls"]
    for col, rate in CHURN_NULL_RATES.items():
        mask = null_rng.random(rows) < rate
        df.loc[mask, col] = np.nan if col in CHURN_NUMERIC else None
    if corruption is not None:
        df = _corrupt_churn(df, corruption, rngs["corruption"])
    return df


def _corrupt_churn(df: pd.DataFrame, corruption: str, rng: np.random.Generator) -> pd.DataFrame:
    """Inject one defect that the config-derived validation suite must catch."""
    n = len(df)
    if corruption == "nulls":  # contract_type is declared non-nullable
        df.loc[rng.random(n) < 0.3, "contract_type"] = None
    elif corruption == "out_of_range":
        bad_age = rng.random(n) < 0.05
        df.loc[bad_age, "age"] = np.where(rng.random(int(bad_age.sum())) < 0.5, -5.0, 999.0)
        bad_charge = rng.random(n) < 0.05
        df.loc[bad_charge, "monthly_charges"] = -df.loc[bad_charge, "monthly_charges"].abs() - 1.0
    elif corruption == "unknown_category":
        bad = rng.random(n) < 0.1
        df.loc[bad, "region"] = _codes_to_strings(
            rng.integers(0, 2, int(bad.sum())), ("atlantis", "north-east ")
        )
    elif corruption == "drop_column":
        df = df.drop(columns=["tenure_months"])
    elif corruption == "wrong_dtype":
        tenure = df["tenure_months"]
        df["tenure_months"] = [f"{int(v)} months" for v in tenure.to_numpy()]
    elif corruption == "single_class":
        df[CHURN_TARGET] = np.zeros(n, dtype=np.int64)
    return df


# ------------------------------------------------------------------------------------- breast cancer


def _load_breast_cancer() -> tuple[np.ndarray, np.ndarray, list[str]]:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    return (
        np.asarray(bunch.data, dtype=float),
        np.asarray(bunch.target),
        [str(c) for c in bunch.feature_names],
    )


def generate_breast_cancer(
    rows: int | None = None,
    seed: int = 0,
    *,
    label_noise: float = 0.0,
    drift: str = "none",
    corruption: str | None = None,
) -> pd.DataFrame:
    """Bootstrap resample of scikit-learn's Wisconsin breast-cancer data with ~1.5% measurement noise.

    Columns are the 30 `feature_names` plus `target` (1 = benign). Drift moves instrument readings
    (covariate) or relabels a region of feature space (concept); there is no categorical feature.
    """
    rows = BC_DEFAULT_ROWS if rows is None else int(rows)
    _check_common(rows, label_noise)
    _check_choice("drift", drift, BREAST_CANCER_DRIFTS, "breast_cancer")
    _check_choice("corruption", corruption, BREAST_CANCER_CORRUPTIONS, "breast_cancer")
    rngs = _streams(seed)
    base_x, base_y, names = _load_breast_cancer()
    sd = base_x.std(axis=0)
    feat_rng = rngs["features"]
    idx = feat_rng.integers(0, base_x.shape[0], rows)
    x = base_x[idx] * np.exp(feat_rng.normal(0.0, BC_NOISE_SD, (rows, base_x.shape[1])))
    y = base_y[idx].astype(np.int64)

    col = {name: i for i, name in enumerate(names)}
    if drift == "mild":  # +0.25 sd on two features
        for name in BC_MILD_FEATURES:
            x[:, col[name]] += 0.25 * sd[col[name]]
    elif drift in ("covariate", "strong"):  # an instrument re-calibration: 12 of 30 read >= 1 sd higher
        for name in BC_STRONG_FEATURES:
            x[:, col[name]] += 1.2 * sd[col[name]]
    elif drift == "concept":  # same X; large-nucleus cases get relabelled half of the time
        big = x[:, col["worst concave points"]] > np.quantile(x[:, col["worst concave points"]], 0.6)
        flip = big & (rngs["labels"].random(rows) < 0.5)
        y = np.where(flip, 1 - y, y)
    y = _apply_label_noise(rngs["label_noise"], y, float(label_noise))

    df = pd.DataFrame(np.round(np.maximum(x, 0.0), 6), columns=names)
    df[BC_TARGET] = y
    if corruption is not None:
        df = _corrupt_breast_cancer(df, corruption, rngs["corruption"])
    return df


def _corrupt_breast_cancer(df: pd.DataFrame, corruption: str, rng: np.random.Generator) -> pd.DataFrame:
    n = len(df)
    if corruption == "nulls":
        df.loc[rng.random(n) < 0.3, "mean radius"] = np.nan
    elif corruption == "out_of_range":
        bad = rng.random(n) < 0.05
        bad[rng.integers(0, n)] = True  # at least one, even for tiny frames
        df.loc[bad, "mean area"] = -df.loc[bad, "mean area"] - 1.0
    elif corruption == "drop_column":
        df = df.drop(columns=["mean radius"])
    elif corruption == "wrong_dtype":
        df["mean texture"] = [f"{v:.2f} um" for v in df["mean texture"].to_numpy()]
    elif corruption == "single_class":
        df[BC_TARGET] = np.zeros(n, dtype=np.int64)
    return df


# ------------------------------------------------------------------------------------------ dispatch

Generator = Callable[..., pd.DataFrame]

GENERATORS: dict[str, Generator] = {
    "churn": generate_churn,
    "breast_cancer": generate_breast_cancer,
}


def _model_name(cfg_or_name: ModelConfig | str) -> str:
    return cfg_or_name if isinstance(cfg_or_name, str) else cfg_or_name.name


def get_generator(cfg_or_name: ModelConfig | str) -> Generator:
    name = _model_name(cfg_or_name)
    try:
        return GENERATORS[name]
    except KeyError:
        raise ConfigError(
            f"no data generator for model {name!r}; known: {', '.join(sorted(GENERATORS))}"
        ) from None


def generate(
    cfg_or_name: ModelConfig | str, rows: int | None = None, seed: int = 0, **kw: Any
) -> pd.DataFrame:
    """Generate data for a model by name; `rows=None` means the generator's default size."""
    gen = get_generator(cfg_or_name)
    if rows is None:
        return gen(seed=seed, **kw)
    return gen(rows=rows, seed=seed, **kw)


def write_weekly_snapshots(
    cfg: ModelConfig,
    *,
    start: dt.date,
    weeks: int = 1,
    rows: int | None = None,
    seed: int = 0,
    label_noise: float = 0.0,
    drift: str = "none",
    corruption: str | None = None,
    fmt: str = "parquet",
    root: str | None = None,
) -> list[Manifest]:
    """Land `weeks` snapshots dated start, start+7d, ...; week i uses seed+i.

    The generator parameters go into each manifest's `extra`, so any snapshot can be regenerated.
    Arguments are checked before anything is written: a typo never leaves a half-written series.
    """
    from include import snapshots

    if weeks < 1:
        raise ValueError(f"weeks must be >= 1, got {weeks}")
    gen = get_generator(cfg)
    allowed_drift = BREAST_CANCER_DRIFTS if gen is generate_breast_cancer else DRIFTS
    allowed_corruption = BREAST_CANCER_CORRUPTIONS if gen is generate_breast_cancer else CORRUPTIONS
    _check_choice("drift", drift, allowed_drift, cfg.name)
    _check_choice("corruption", corruption, allowed_corruption, cfg.name)
    target_root = root if root is not None else cfg.snapshot_root()

    manifests: list[Manifest] = []
    for i in range(weeks):
        snapshot_id = (start + dt.timedelta(days=7 * i)).isoformat()
        week_seed = int(seed) + i
        df = generate(cfg, rows, week_seed, label_noise=label_noise, drift=drift, corruption=corruption)
        extra = {
            "generator": f"include.datagen.{gen.__name__}",
            "seed": week_seed,
            "rows": len(df),
            "label_noise": float(label_noise),
            "drift": drift,
            "corruption": corruption,
        }
        manifests.append(snapshots.write_snapshot(target_root, snapshot_id, df, fmt=fmt, extra=extra))
    return manifests
