"""Seeded subscription-churn customers with the columns of include/configs/churn.yaml.

The label has real, non-linear signal (contract, early tenure, tickets, inactivity, price, autopay);
drift (covariate, categorical, concept) and corruption can be injected.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from airflow_champion_demo.common import (
    _apply_label_noise,
    _categorical_codes,
    _check_choice,
    _check_common,
    _codes_to_strings,
    _labels,
    _poisson_from_uniform,
    _shared_codes,
    _streams,
)

DRIFTS: tuple[str, ...] = ("none", "mild", "covariate", "strong", "categorical", "concept")


CORRUPTIONS: tuple[str, ...] = (
    "nulls",
    "out_of_range",
    "unknown_category",
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
