"""Money helpers: yuan as Decimal to the fen, rounding only here and only with a named mode."""

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def ceil_to_fen(amount: Decimal) -> Decimal:
    """Round up to the next fen (data sessions: 尾数不足1分按1分计)."""
    return amount.quantize(FEN, rounding=ROUND_CEILING)


def round_half_up_to_fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def floor_to_fen(amount: Decimal) -> Decimal:
    """Round down to the fen: what an offer gives (a percentage bonus never rounds up)."""
    return amount.quantize(FEN, rounding=ROUND_FLOOR)


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` amounts to the fen that sum exactly to it; the fen left over by
    rounding down goes to the first parts (instalment schedules: the first dues carry it)."""
    if parts < 1:
        raise ValueError("split into at least one part")
    fen_total = int((total / FEN).to_integral_exact())
    if Decimal(fen_total) * FEN != total:
        raise ValueError("split a whole number of fen")
    base, extra = divmod(fen_total, parts)
    return [(Decimal(base + (1 if index < extra else 0)) * FEN) for index in range(parts)]


class AmountError(ValueError):
    """Why a text is not an amount: ``NOT_A_NUMBER``, ``FLOAT`` or ``TOO_PRECISE``."""

    NOT_A_NUMBER = "not_a_number"
    FLOAT = "float"
    TOO_PRECISE = "too_precise"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def parse_yuan(value) -> Decimal:
    """Parse an amount given as text or Decimal; refuse floats, NaN and more than two places."""
    if isinstance(value, float):
        # A float has already lost the exact amount (0.1 + 0.2 != 0.3): never accept one.
        raise AmountError(AmountError.FLOAT)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise AmountError(AmountError.NOT_A_NUMBER) from exc
    if not amount.is_finite():
        raise AmountError(AmountError.NOT_A_NUMBER)
    if amount != amount.quantize(FEN, rounding=ROUND_HALF_UP):
        raise AmountError(AmountError.TOO_PRECISE)
    return amount.quantize(FEN)
