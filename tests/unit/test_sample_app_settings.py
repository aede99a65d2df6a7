"""The sample app's settings and order bodies, and what the package may import."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import harness.sample_app
from harness.sample_app.config import Settings, SettingsError
from harness.sample_app.orders import OrderRequest, OrderSpecError

PACKAGE = Path(harness.sample_app.__file__).parent


def test_defaults_match_the_stack_s_postgres_service() -> None:
    settings = Settings.from_env({})

    assert settings.database_url == "postgresql://app:app@postgres:5432/app"
    assert (settings.pool_min_size, settings.pool_max_size, settings.pool_timeout_seconds) == (2, 10, 5.0)


def test_environment_variables_override_the_defaults() -> None:
    environ = {
        "DATABASE_URL": "postgresql://u:p@db/x",
        "POOL_MIN_SIZE": "1",
        "POOL_MAX_SIZE": "3",
        "POOL_TIMEOUT_SECONDS": "0.5",
    }

    settings = Settings.from_env(environ)

    assert settings == Settings(
        database_url="postgresql://u:p@db/x", pool_min_size=1, pool_max_size=3, pool_timeout_seconds=0.5
    )


BAD_ENVIRONMENTS = {
    "pool_size_not_an_integer": ({"POOL_MAX_SIZE": "ten"}, "POOL_MAX_SIZE must be an integer, got 'ten'"),
    "timeout_not_a_number": ({"POOL_TIMEOUT_SECONDS": "5s"}, "POOL_TIMEOUT_SECONDS must be a number, got '5s'"),
    "pool_max_zero": ({"POOL_MAX_SIZE": "0"}, "POOL_MAX_SIZE must be at least 1, got '0'"),
    "min_above_max": ({"POOL_MIN_SIZE": "5", "POOL_MAX_SIZE": "3"}, "POOL_MIN_SIZE (5) is larger than POOL_MAX_SIZE"),
    "redis_url_without_scheme": ({"REDIS_URL": "redis:6379"}, "REDIS_URL must start with redis://"),
    "workers_negative": ({"WORKERS": "-1"}, "WORKERS must be at least 0, got '-1'"),
    "credits_not_finite": ({"CREDITS": "inf"}, "CREDITS must be a finite number, got 'inf'"),
}


@pytest.mark.parametrize(("environ", "message"), BAD_ENVIRONMENTS.values(), ids=BAD_ENVIRONMENTS.keys())
def test_a_bad_environment_is_refused_with_the_variable_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(environ)

    assert message in str(raised.value)


def test_without_redis_url_the_cache_and_queue_are_off() -> None:
    assert Settings.from_env({}).redis_url == ""


def test_cache_queue_and_business_settings_come_from_the_environment() -> None:
    environ = {
        "REDIS_URL": "redis://redis:6379/0",
        "CACHE_TTL_SECONDS": "2.5",
        "WORKERS": "4",
        "JOB_SECONDS": "0.2",
        "BASELINE_JOBS_PER_SECOND": "0",
        "ACTIVE_USERS": "10",
        "ACTIVE_USERS_LIMIT": "20",
        "CREDITS": "300",
    }

    settings = Settings.from_env(environ)

    assert (settings.redis_url, settings.cache_ttl_seconds, settings.workers, settings.job_seconds) == (
        "redis://redis:6379/0",
        2.5,
        4,
        0.2,
    )
    assert settings.baseline_jobs_per_second == 0.0
    assert (settings.active_users, settings.active_users_limit, settings.credits) == (10, 20, 300)


def test_an_empty_order_body_orders_one_of_item_1() -> None:
    assert OrderRequest.from_json(b"") == OrderRequest(item_id=1, quantity=1)


BAD_ORDERS = {
    "not_json": (b"{", "order: the body is not valid JSON"),
    "not_an_object": (b"[1]", "order: the body must be a JSON object"),
    "unknown_field": (b'{"sku": 1}', "unknown field(s) 'sku'; expected item_id, quantity"),
    "item_id_zero": (b'{"item_id": 0}', "'item_id' must be a positive integer, got 0"),
    "quantity_too_large": (b'{"quantity": 5000}', "'quantity' must be an integer from 1 to 1000, got 5000"),
}


@pytest.mark.parametrize(("raw", "message"), BAD_ORDERS.values(), ids=BAD_ORDERS.keys())
def test_a_bad_order_body_is_refused_with_the_defect_named(raw: bytes, message: str) -> None:
    with pytest.raises(OrderSpecError) as raised:
        OrderRequest.from_json(raw)

    assert message in str(raised.value)


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


MODULES = sorted(PACKAGE.rglob("*.py"))
#: What the host tests import: it must run without Starlette, psycopg, redis or prometheus_client.
STDLIB_ONLY = [
    "__init__.py",
    "business.py",
    "config.py",
    "memory.py",
    "names.py",
    "orders.py",
    "tasks.py",
    "throttle.py",
    *(str(path.relative_to(PACKAGE)) for path in sorted((PACKAGE / "faults").glob("*.py"))),
]


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_the_sample_app_imports_nothing_from_the_host_side_harness(module: Path) -> None:
    assert "harness" not in _imported_modules(module)


@pytest.mark.parametrize("name", STDLIB_ONLY)
def test_modules_tested_on_the_host_use_only_the_standard_library(name: str) -> None:
    third_party = _imported_modules(PACKAGE / name) - set(sys.stdlib_module_names) - {"__future__"}

    assert third_party == set()
