"""Faults the sample app can be told to cause, kept as a small registry keyed by kind.

Standard library only, so the host can test it without Starlette, psycopg or redis.

A fault kind is a frozen dataclass with a ``kind`` (also its URL segment under
``/control/faults/``), a ``from_body`` that validates a JSON body, and a ``describe``
for ``GET /control/faults``. Adding a kind means writing one class and listing it in
``FAULT_KINDS``; the control routes dispatch on the kind and never change. Kinds decided
request by request (or job by job) are in ``per_request``; kinds that need work of the app's own (a held
connection, a producer, an allocation) are in ``background``, and that work in ``sample_app.effects``.

    FaultError
    ├── FaultSpecError      the kind or the body is wrong (the app answers 422)
    │   └── UnknownFaultKind    no such kind (404)
    ├── FaultUnavailable    valid, but this app runs without what it needs, e.g. Redis (409)
    └── FaultFailed         causing it failed at run time, e.g. Redis did not answer (503)
"""

from .background import (
    BusinessGaugeFault,
    BusinessRateFault,
    CacheFillFault,
    CacheFlushFault,
    MemoryLeakFault,
    PoolHoldFault,
    QueueBacklogFault,
)
from .per_request import CacheMissFault, ErrorFault, JobFailureFault, LatencyFault, SlowJobFault, SlowQueryFault
from .spec import (
    REDIS,
    Fault,
    FaultError,
    FaultFailed,
    FaultKind,
    FaultSpecError,
    FaultUnavailable,
    UnknownFaultKind,
    paced,
)
from .state import FAULT_KINDS, FaultState, decode_body

__all__ = [
    "BusinessGaugeFault",
    "BusinessRateFault",
    "CacheFillFault",
    "CacheFlushFault",
    "CacheMissFault",
    "ErrorFault",
    "FAULT_KINDS",
    "Fault",
    "FaultError",
    "FaultFailed",
    "FaultKind",
    "FaultSpecError",
    "FaultState",
    "FaultUnavailable",
    "JobFailureFault",
    "LatencyFault",
    "MemoryLeakFault",
    "PoolHoldFault",
    "QueueBacklogFault",
    "REDIS",
    "SlowJobFault",
    "SlowQueryFault",
    "UnknownFaultKind",
    "decode_body",
    "paced",
]
