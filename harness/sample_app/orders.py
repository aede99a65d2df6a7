"""The body of ``POST /api/orders``, validated (standard library only)."""

from __future__ import annotations

import json
from dataclasses import dataclass

MAX_QUANTITY = 1000


class OrderSpecError(ValueError):
    """An order body that cannot be used as written (the app answers 422)."""


@dataclass(frozen=True)
class OrderRequest:
    """What a client asks to order; an empty body orders one of item 1, which load scripts rely on."""

    item_id: int = 1
    quantity: int = 1

    @classmethod
    def from_json(cls, raw: bytes) -> OrderRequest:
        if not raw.strip():
            return cls()
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise OrderSpecError(f"order: the body is not valid JSON ({error})") from None
        if not isinstance(body, dict):
            raise OrderSpecError("order: the body must be a JSON object with item_id and quantity (both optional)")
        unknown = sorted(set(body) - {"item_id", "quantity"})
        if unknown:
            raise OrderSpecError(
                f"order: unknown field(s) {', '.join(map(repr, unknown))}; expected item_id, quantity"
            )
        item_id = body.get("item_id", 1)
        quantity = body.get("quantity", 1)
        if not _is_int(item_id) or item_id < 1:
            raise OrderSpecError(f"order: 'item_id' must be a positive integer, got {item_id!r}")
        if not _is_int(quantity) or not 1 <= quantity <= MAX_QUANTITY:
            raise OrderSpecError(f"order: 'quantity' must be an integer from 1 to {MAX_QUANTITY}, got {quantity!r}")
        return cls(item_id=item_id, quantity=quantity)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
