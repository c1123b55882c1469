"""Races on the `champion` alias between real OS processes, on PostgreSQL (MLflow store) and Redis (lock).

The unit tests race threads of one process on SQLite. Here every contender is its own process (the
"spawn" start method), so the contenders share only what Airflow workers on different machines share:
the MLflow backend store (a fresh PostgreSQL database) and the promotion lock (a Redis database). A pool
of worker processes is started once per module (importing MLflow costs seconds); for each race the
contenders get their call, get ready, wait at a barrier and then call promote()/rollback() together,
after a small random jitter so that the lock is won by different contenders in different rounds. Each
race runs ROUNDS times on a fresh registered model; the orderings seen are printed (pytest -rP).

Versions are registered without model files, as in tests/unit/test_registry.py: the registry logic never
loads a model.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import random
import re
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from airflow_champion import registry
from airflow_champion.registry import tracking
from airflow_champion.registry.ledger import MOVES_CHAMPION

from tests.conftest import require_service
from tests.integration.conftest import (
    PG_HOST,
    PG_PORT,
    PG_USER,
    REDIS_HOST,
    REDIS_PORT,
    _pg_connect,
    _pg_ok,
)
from tests.integration.conftest import (
    RACES_REDIS_DB as REDIS_DB,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.mlflow,
    pytest.mark.slow,
]

ROUNDS = 5
WORKERS = 6  # the widest race (case 4); narrower races give the other workers a no-op
BASE_MODEL = "breast_cancer"  # each round copies this config under a fresh registered-model name
LOCK_KEY_PREFIX = b"mlops:lock:"  # what registry.locks writes; anything else in REDIS_DB is not ours
JITTER_S = 0.03  # < the lock's 50 ms poll: the first to ask usually wins, and that varies per round
TIMEOUT_S = 120.0


# ------------------------------------------------------------------------------------ worker side
def _worker(index: int, env: dict[str, str], pycache: str, commands: Any, results: Any, barrier: Any) -> None:
    """One contender process: import once, then run commands until None. Errors become results."""
    os.environ.update(env)
    os.environ.pop("MLFLOW_REGISTRY_URI", None)
    os.chdir(env["MLOPS_HOME"])  # anything MLflow writes relative to the cwd stays in the tmp dir
    if sys.dont_write_bytecode:
        # With PYTHONDONTWRITEBYTECODE every process compiles MLflow's SQL store from source (~10 s of
        # CPU). The workers share a bytecode cache in the module's tmp dir instead (never the tree):
        # the first worker fills it, the others start in a few seconds.
        sys.dont_write_bytecode = False
        sys.pycache_prefix = pycache

    import mlflow.store.model_registry.sqlalchemy_store
    import mlflow.store.tracking.sqlalchemy_store  # noqa: F401  what a client on a SQL store imports
    from airflow_champion import registry
    from airflow_champion.config import load_config
    from airflow_champion.registry import tracking

    base = load_config(BASE_MODEL)
    results.put({"worker": index, "op": "ready", "ok": True})
    while True:
        cmd = commands.get()
        if cmd is None:  # flush what was reported, then skip tearing down MLflow (~1.5 s CPU each)
            results.close()
            results.join_thread()
            os._exit(0)
        if cmd["op"] == "warm":  # first connection to the store, outside any race
            tracking.client().search_registered_models(max_results=1)
            results.put({"worker": index, "op": "warm", "ok": True})
            continue
        cfg = base.model_copy(update={"name": cmd["model"]})
        tracking.client()  # everything but the call itself is done before the barrier
        try:
            barrier.wait(timeout=TIMEOUT_S)
        except threading.BrokenBarrierError:
            results.put({"worker": index, "op": cmd["op"], "ok": False, "error": "BrokenBarrierError"})
            continue
        time.sleep(cmd.get("jitter", 0.0))
        started = time.time()
        out: dict[str, Any] = {"worker": index, "op": cmd["op"], "actor": cmd.get("actor")}
        try:
            if cmd["op"] == "promote":
                out["result"] = registry.promote(cfg, cmd["verdict"], actor=cmd["actor"])
            elif cmd["op"] == "append":  # a ledger writer holding no lock (or another deployment's)
                from airflow_champion.registry import ledger

                entry = {"action": "reject", "to_version": None, "actor": cmd["actor"], "reason": "race"}
                out["result"] = {"ledger_seq": ledger.append(tracking.client(), cfg, entry)["seq"]}
            elif cmd["op"] == "rollback":
                out["result"] = registry.rollback(
                    cfg,
                    to_version=cmd.get("to_version"),
                    reason=cmd["reason"],
                    actor=cmd["actor"],
                    expected_champion=cmd.get("expected_champion"),
                )
            out["ok"] = True
        except Exception as exc:  # reported to the test, which decides whether it was expected
            out.update(ok=False, error=type(exc).__name__, message=str(exc))
        out.update(started=started, ended=time.time())
        results.put(out)


# ------------------------------------------------------------------------------------ test side
@dataclass
class Pool:
    """WORKERS spawned processes, each with its own command queue, sharing a result queue and a barrier."""

    procs: list[Any]
    commands: list[Any]
    results: Any

    def _collect(self, n: int) -> list[dict[str, Any]]:
        got = []
        deadline = time.monotonic() + TIMEOUT_S
        while len(got) < n:
            dead = [p.pid for p in self.procs if p.exitcode is not None]
            if dead:
                raise AssertionError(f"race worker(s) {dead} died")
            try:
                got.append(self.results.get(timeout=1.0))
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise AssertionError(f"only {len(got)}/{n} race workers answered") from None
        return got

    def wait_ready(self, n: int) -> None:
        """Wait until n more workers have imported everything (they are not connected yet)."""
        assert {r["op"] for r in self._collect(n)} == {"ready"}

    def warm(self) -> None:
        """Connect every worker to the (migrated) store, so no race includes a first connection."""
        for q in self.commands:
            q.put({"op": "warm"})
        self._collect(len(self.commands))

    def race(self, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Give call i to worker i (the rest a no-op), release them together; the callers' results."""
        assert len(calls) <= len(self.commands)
        model = calls[0]["model"]
        for i, q in enumerate(self.commands):
            call = calls[i] if i < len(calls) else {"op": "noop", "model": model}
            q.put({**call, "jitter": random.uniform(0, JITTER_S)})
        results = self._collect(len(self.commands))
        return sorted((r for r in results if r["op"] != "noop"), key=lambda r: r["worker"])


@dataclass
class Stack:
    pool: Pool
    source: str  # where fabricated versions "live" (never read)


def _redis(db: int = REDIS_DB) -> Any:
    import redis

    return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db, socket_connect_timeout=3)


def _redis_ok() -> tuple[bool, str]:
    try:
        r = _redis()
        try:
            r.ping()
        finally:
            r.close()
    except Exception as exc:
        return False, f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT}: {exc}"
    return True, ""


def _redis_db_is_ours() -> bool:
    """Never flush a database someone else uses: only keys of registry.locks may be in it already."""
    r = _redis()
    try:
        return all(key.startswith(LOCK_KEY_PREFIX) for key in r.scan_iter(count=1000))
    finally:
        r.close()


def _flush_redis() -> None:
    r = _redis()
    try:
        r.flushdb()
    finally:
        r.close()


def _stop(procs: list[Any], commands: list[Any]) -> None:
    for q in commands:
        with contextlib.suppress(Exception):
            q.put(None)
    for p in procs:
        if p.pid is None:  # never started
            continue
        p.join(timeout=20)
        if p.is_alive():
            p.terminate()
            p.join(timeout=10)
        if p.is_alive():
            p.kill()
            p.join(timeout=5)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A fresh MLflow database on PostgreSQL, Redis db REDIS_DB as the lock, and the worker pool.

    Torn down in reverse: workers stopped, environment restored, database dropped, Redis db flushed.
    """
    ok, reason = _pg_ok()
    require_service(ok, reason)
    ok, reason = _redis_ok()
    require_service(ok, reason)
    require_service(_redis_db_is_ours(), f"Redis db {REDIS_DB} holds keys that are not promotion locks")

    home = tmp_path_factory.mktemp("races")
    dbname = f"mlops_it_races_{secrets.token_hex(4)}"
    env = {
        "MLOPS_HOME": str(home),
        # the driver is named: SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, not installed here
        "MLFLOW_TRACKING_URI": f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{dbname}",
        "MLOPS_ARTIFACT_ROOT": (home / "mlartifacts").as_uri(),
        "MLOPS_LOCK_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        "MLFLOW_ENABLE_TELEMETRY": "false",
        "DO_NOT_TRACK": "1",
    }
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(_flush_redis)
        conn = _pg_connect()
        cleanup.callback(conn.close)
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{dbname}"')
        cleanup.callback(_drop_database, conn, dbname)

        mp = pytest.MonkeyPatch()
        cleanup.callback(mp.undo)
        for key, value in env.items():
            mp.setenv(key, value)
        mp.delenv("MLFLOW_REGISTRY_URI", raising=False)

        ctx = multiprocessing.get_context("spawn")
        commands = [ctx.Queue() for _ in range(WORKERS)]
        results = ctx.Queue()
        barrier = ctx.Barrier(WORKERS)
        pycache = str(home / "pycache")
        procs = [
            ctx.Process(target=_worker, args=(i, env, pycache, commands[i], results, barrier), daemon=True)
            for i in range(WORKERS)
        ]
        cleanup.callback(_stop, procs, commands)
        pool = Pool(procs, commands, results)

        # worker 0 imports (filling the bytecode cache) while this process migrates the new database
        procs[0].start()
        mp.chdir(home)
        tracking.client().search_registered_models(max_results=1)
        pool.wait_ready(1)
        for p in procs[1:]:
            p.start()
        pool.wait_ready(WORKERS - 1)
        pool.warm()
        yield Stack(pool, (home / "model").as_uri())


def _drop_database(conn: Any, dbname: str) -> None:
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


# ------------------------------------------------------------------------------------ helpers
def _fresh_model(stack: Stack, case: str, n_versions: int) -> tuple[Any, list[int]]:
    """A new registered model (own name, own lock key) with n versions carrying a 'promote' verdict."""
    from airflow_champion.config import load_config

    cfg = load_config(BASE_MODEL).model_copy(update={"name": f"races_{case}_{secrets.token_hex(3)}"})
    client = tracking.client()
    client.create_registered_model(cfg.registered_model_name)
    versions = [
        int(
            client.create_model_version(
                cfg.registered_model_name, source=stack.source, tags={"mlops.verdict": "promote"}
            ).version
        )
        for _ in range(n_versions)
    ]
    return cfg, versions


def _verdict(cfg: Any, challenger: int, champion: int | None) -> dict[str, Any]:
    return {
        "model": cfg.name,
        "snapshot_id": "s",
        "challenger_version": challenger,
        "champion_version": champion,
        "decision": "promote",
        "reasons": ["race test"],
        "metric": "roc_auc",
        "challenger_score": 0.8,
        "champion_score": 0.7,
        "ci_low": 0.01,
        "eval_run_id": None,
    }


def _promote_call(cfg: Any, challenger: int, champion: int | None, actor: str) -> dict[str, Any]:
    return {
        "op": "promote",
        "model": cfg.name,
        "verdict": _verdict(cfg, challenger, champion),
        "actor": actor,
    }


def _champion_v2_previous_v1(stack: Stack, case: str) -> tuple[Any, int, int, int]:
    """Champion v2 (ledger #2), previous_champion v1 (ledger #1), and an unjudged challenger v3."""
    cfg, (v1, v2, v3) = _fresh_model(stack, case, 3)
    registry.promote(cfg, _verdict(cfg, v1, None), actor="setup")
    registry.promote(cfg, _verdict(cfg, v2, v1), actor="setup")
    return cfg, v1, v2, v3


def _seq_of(result: dict[str, Any]) -> int:
    """The ledger seq a contender was told about: returned on success, named in a conflict's message."""
    if result["ok"]:
        return int(result["result"]["ledger_seq"])
    match = re.search(r"ledger #(\d+)\)", result.get("message", ""))
    assert match, f"worker {result['worker']} failed without a ledger entry: {result}"
    return int(match.group(1))


def _check_ledger(cfg: Any, results: list[dict[str, Any]], n_entries: int) -> list[dict[str, Any]]:
    """Invariants of every race: seqs 1..n with no gap or duplicate (head agrees), each contender's
    entry is the one it was told about, and both aliases agree with the last champion-moving entry."""
    ledger = registry.read_ledger(cfg)
    assert [e["seq"] for e in ledger] == list(range(1, n_entries + 1))
    by_seq = {e["seq"]: e for e in ledger}
    told = [_seq_of(r) for r in results]
    assert len(set(told)) == len(told), f"two contenders were told the same ledger seq: {told}"
    for r, seq in zip(results, told, strict=True):
        assert by_seq[seq]["actor"] == r["actor"]
    moves = [e for e in ledger if e["action"] in MOVES_CHAMPION]
    assert tracking.alias_version(cfg, tracking.CHAMPION) == moves[-1]["to_version"]
    assert tracking.alias_version(cfg, tracking.PREVIOUS_CHAMPION) == moves[-1]["from_version"]
    return ledger


def _together(results: list[dict[str, Any]]) -> bool:
    """Whether all contenders' calls were in flight at one instant (the barrier did its job)."""
    return max(r["started"] for r in results) < min(r["ended"] for r in results)


def _report(case: str, seen: Counter[str], together: int) -> None:
    print(
        f"\n{case}: {ROUNDS} rounds, orderings {dict(sorted(seen.items()))}, "
        f"all calls in flight together in {together}/{ROUNDS} rounds"
    )


# ------------------------------------------------------------------------------------ the races
def test_two_retrains_finishing_together_leave_one_champion(stack: Stack) -> None:
    """Two retrain runs (say a REST trigger and a drift trigger) whose challengers were both judged
    `promote` against v1 promote at once: one becomes champion, the other is refused with a ledger
    conflict naming the winner and is told the champion moved and to re-evaluate."""
    seen: Counter[str] = Counter()
    together = 0
    for _ in range(ROUNDS):
        cfg, (v1, va, vb) = _fresh_model(stack, "two", 3)
        registry.promote(cfg, _verdict(cfg, v1, None), actor="setup")
        results = stack.pool.race([_promote_call(cfg, va, v1, "run-a"), _promote_call(cfg, vb, v1, "run-b")])

        together += _together(results)
        won = [r for r in results if r["ok"]]
        lost = [r for r in results if not r["ok"]]
        assert len(won) == 1 and len(lost) == 1, results
        winner = int(won[0]["result"]["to_version"])
        assert lost[0]["error"] == "PromotionConflictError"
        assert f"champion moved to v{winner}," in lost[0]["message"]
        assert "re-evaluate" in lost[0]["message"]

        ledger = _check_ledger(cfg, results, 3)
        assert [(e["action"], e["actor"]) for e in ledger[1:]] == [
            ("promote", won[0]["actor"]),
            ("conflict", lost[0]["actor"]),
        ]
        assert (ledger[1]["from_version"], ledger[1]["to_version"]) == (v1, winner)
        assert f"champion moved to v{winner} " in ledger[2]["reason"]
        assert tracking.alias_version(cfg, tracking.CHAMPION) == winner
        assert tracking.alias_version(cfg, tracking.PREVIOUS_CHAMPION) == v1
        seen[f"{won[0]['actor']} won"] += 1
    assert together, "no round had all calls in flight at once: the barrier did not make a race"
    _report("two promoters", seen, together)


def test_named_rollback_racing_a_promotion_ends_as_the_ledger_says(stack: Stack) -> None:
    """A rollback to a named v1 and a promotion of v3 (judged against champion v2) at once: in either
    lock order the end state is what the ledger order implies. Rollback first: champion v1 and the
    promotion is a conflict. Promotion first: champion v3, then the rollback moves it to v1."""
    seen: Counter[str] = Counter()
    together = 0
    for _ in range(ROUNDS):
        cfg, v1, v2, v3 = _champion_v2_previous_v1(stack, "named")
        rollback = {
            "op": "rollback",
            "model": cfg.name,
            "to_version": v1,
            "reason": "incident",
            "actor": "oncall",
        }
        results = stack.pool.race([rollback, _promote_call(cfg, v3, v2, "retrain")])
        by_actor = {r["actor"]: r for r in results}
        together += _together(results)

        ledger = _check_ledger(cfg, results, 4)
        race = [(e["action"], e["actor"], e["from_version"], e["to_version"]) for e in ledger[2:]]
        if race[0][0] == "rollback":
            assert race == [("rollback", "oncall", v2, v1), ("conflict", "retrain", v1, v3)]
            assert by_actor["oncall"]["ok"]
            assert by_actor["retrain"]["error"] == "PromotionConflictError"
            assert f"champion moved to v{v1}," in by_actor["retrain"]["message"]
            seen["rollback then promote(conflict)"] += 1
        else:
            assert race == [("promote", "retrain", v2, v3), ("rollback", "oncall", v3, v1)]
            assert by_actor["oncall"]["ok"] and by_actor["retrain"]["ok"]
            seen["promote then rollback"] += 1
        assert tracking.alias_version(cfg, tracking.CHAMPION) == v1
    assert together, "no round had all calls in flight at once: the barrier did not make a race"
    _report("named rollback vs promote", seen, together)


def test_guarded_rollback_racing_a_promotion_changes_the_alias_once(stack: Stack) -> None:
    """A rollback decided against champion v2 (expected_champion=v2, no to_version) and a promotion of
    v3 (judged against v2) at once: exactly one of them moves the alias. Promotion first: the rollback
    refuses (ledger conflict 'expected v2 but it is v3') and v3 stays. Rollback first: champion v1 and
    the promotion refuses. A rollback never undoes a champion nobody decided to undo."""
    seen: Counter[str] = Counter()
    together = 0
    for _ in range(ROUNDS):
        cfg, v1, v2, v3 = _champion_v2_previous_v1(stack, "guarded")
        rollback = {
            "op": "rollback",
            "model": cfg.name,
            "to_version": None,
            "expected_champion": v2,
            "reason": "incident",
            "actor": "oncall",
        }
        results = stack.pool.race([rollback, _promote_call(cfg, v3, v2, "retrain")])
        by_actor = {r["actor"]: r for r in results}
        together += _together(results)

        assert sorted(r["ok"] for r in results) == [False, True], results
        loser = next(r for r in results if not r["ok"])
        assert loser["error"] == "PromotionConflictError"
        ledger = _check_ledger(cfg, results, 4)
        race = [(e["action"], e["actor"], e["from_version"], e["to_version"]) for e in ledger[2:]]
        assert sum(action in MOVES_CHAMPION for action, *_ in race) == 1
        if race[0][0] == "promote":
            assert race == [("promote", "retrain", v2, v3), ("conflict", "oncall", v3, None)]
            assert f"expected champion v{v2} but it is v{v3}" in ledger[3]["reason"]
            assert f"expected champion v{v2} but it is v{v3}" in by_actor["oncall"]["message"]
            assert "ledger #4" in by_actor["oncall"]["message"]
            assert tracking.alias_version(cfg, tracking.CHAMPION) == v3
            seen["promote then rollback(conflict)"] += 1
        else:
            assert race == [("rollback", "oncall", v2, v1), ("conflict", "retrain", v1, v3)]
            assert f"champion moved to v{v1}," in by_actor["retrain"]["message"]
            assert tracking.alias_version(cfg, tracking.CHAMPION) == v1
            seen["rollback then promote(conflict)"] += 1
    assert together, "no round had all calls in flight at once: the barrier did not make a race"
    _report("guarded rollback vs promote", seen, together)


def test_many_promoters_one_winner(stack: Stack) -> None:
    """WORKERS challengers, all judged against champion v1, promote at once: one winner, the others
    conflicts, one ledger entry each with consecutive seqs (no entry lost to a concurrent write)."""
    seen: Counter[str] = Counter()
    together = 0
    for _ in range(ROUNDS):
        cfg, (v1, *challengers) = _fresh_model(stack, "many", WORKERS + 1)
        registry.promote(cfg, _verdict(cfg, v1, None), actor="setup")
        results = stack.pool.race([_promote_call(cfg, v, v1, f"run-{v}") for v in challengers])

        together += _together(results)
        won = [r for r in results if r["ok"]]
        assert len(won) == 1, results
        winner = int(won[0]["result"]["to_version"])
        lost = [r for r in results if not r["ok"]]
        assert len(lost) == WORKERS - 1
        assert {r["error"] for r in lost} == {"PromotionConflictError"}
        ledger = _check_ledger(cfg, results, WORKERS + 1)
        assert [e["action"] for e in ledger[1:]] == ["promote"] + ["conflict"] * (WORKERS - 1)
        assert ledger[1]["to_version"] == winner
        assert all(f"champion moved to v{winner} " in e["reason"] for e in ledger[2:])
        assert tracking.alias_version(cfg, tracking.CHAMPION) == winner
        assert tracking.alias_version(cfg, tracking.PREVIOUS_CHAMPION) == v1
        seen[f"worker {won[0]['worker']} won"] += 1
    assert together, "no round had all calls in flight at once: the barrier did not make a race"
    _report(f"{WORKERS} promoters", seen, together)


def test_ledger_writers_sharing_no_lock_lose_no_entry(stack: Stack) -> None:
    """WORKERS processes append to one model's ledger at once WITHOUT the registry lock (as two
    deployments on different MLOPS_LOCK_URLs would): each seq is won with create-if-absent, so every
    entry survives with its own seq (read-then-write of `last + 1` overwrote all but one)."""
    together = 0
    for _ in range(ROUNDS):
        cfg, (v1,) = _fresh_model(stack, "nolock", 1)
        registry.promote(cfg, _verdict(cfg, v1, None), actor="setup")
        calls = [{"op": "append", "model": cfg.name, "actor": f"w{i}"} for i in range(WORKERS)]
        results = stack.pool.race(calls)
        assert all(r["ok"] for r in results), results
        together += _together(results)
        ledger = _check_ledger(cfg, results, WORKERS + 1)
        assert sorted(e["actor"] for e in ledger[1:]) == sorted(f"w{i}" for i in range(WORKERS))
    assert together, "no round had all calls in flight at once: the barrier did not make a race"
    _report(f"{WORKERS} ledger writers without a lock", Counter(), together)
