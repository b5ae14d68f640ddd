"""Putting translated pieces together in the reader's language.

Chinese joins with full-width marks and no spaces (甲、乙；丙。丁), English with ", ", "; " and a
space between sentences: the joints are translatable strings themselves (each with a context, as
the same mark plays several roles), so a line never mixes the two.
"""

from functools import reduce

from django.utils import translation
from django.utils.translation import pgettext

NUMERALS = "零一二三四五六七八九十"


def listed(items) -> str:
    """Items of one enumeration: 甲、乙、丙 / A, B, C."""
    return pgettext("enumeration comma", "、").join(str(item) for item in items)


def joined(parts) -> str:
    """Parts of one line or sentence, the non-empty ones: 甲；乙 / A; B."""
    return pgettext("list separator", "；").join(str(part) for part in parts if part)


def labelled(label, value) -> str:
    """A label and its value: 标签：值 / Label: value."""
    return pgettext("label and value", "%(label)s：%(value)s") % {"label": label, "value": value}


def sentence(text) -> str:
    """TEXT ended as a sentence: 甲。/ A."""
    return pgettext("end of sentence", "%(text)s。") % {"text": text}


def sentences(parts) -> str:
    """Sentences one after the other: 甲。乙。/ A. B."""
    parts = [str(part) for part in parts if part]
    if not parts:
        return ""
    pair = pgettext("two sentences", "%(first)s%(second)s")
    return reduce(lambda first, second: pair % {"first": first, "second": second}, parts)


def counted(name, count) -> str:
    """A name and its number, as a heading shows it: 第1团队（3）/ Team 1 (3)."""
    return pgettext("name and count", "%(name)s（%(n)s）") % {"name": name, "n": count}


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (up to 99), as a Chinese report numbers its sections."""
    if n <= 10:
        return NUMERALS[n]
    tens, units = divmod(n, 10)
    return (NUMERALS[tens] if tens > 1 else "") + "十" + (NUMERALS[units] if units else "")


def ordinal(n: int) -> str:
    """N as a report numbers its parts in the reader's language: 一 in Chinese, 1 otherwise."""
    language = translation.get_language() or ""
    return chinese_number(n) if language.startswith("zh") else str(n)
