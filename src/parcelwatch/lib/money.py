"""Amounts of money as written on official documents (人民币大写)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
SECTIONS = ["", "万", "亿", "万亿"]


def _section(n: int) -> str:
    """0 < n < 10000 in words, with inner zeros but no leading/trailing ones."""
    out = ""
    zero = False
    for i in range(3, -1, -1):
        d = n // 10**i % 10
        if d == 0:
            zero = bool(out)
        else:
            if zero:
                out += "零"
                zero = False
            out += DIGITS[d] + UNITS[i]
    return out


def yuan_in_words(amount: Decimal | int | str) -> str:
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        raise ValueError("amount must not be negative")
    yuan = int(value)
    jiao, fen = divmod(int((value - yuan) * 100), 10)
    if yuan == 0:
        words = "零元" if not (jiao or fen) else ""
    else:
        words = ""
        sections = []
        n = yuan
        while n:
            sections.append(n % 10000)
            n //= 10000
        need_zero = False
        for idx in range(len(sections) - 1, -1, -1):
            sec = sections[idx]
            if sec == 0:
                need_zero = bool(words)
                continue
            if words and (need_zero or sec < 1000):
                words += "零"
            words += _section(sec) + SECTIONS[idx]
            need_zero = False
        words += "元"
    if jiao == 0 and fen == 0:
        return words + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif yuan:
        words += "零"
    if fen:
        words += DIGITS[fen] + "分"
    return words
