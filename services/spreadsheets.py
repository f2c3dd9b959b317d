"""Excel (.xlsx) and CSV: export a partner's catalog, and read stock and prices back from a partner's file.

Pure: no database, no Telegram, no network. The caller loads the catalog into `ExportRow`s, and after
`parse_import` shows the report (`ParsedImport.rows` / `.rejected`) and applies only on the partner's "yes".

Export
------
`export_table(rows, headers_language)` gives the header texts and a lazy iterator of value lists, which
`to_xlsx` or `to_csv` turn into the file's bytes. Columns (keys in `EXPORT_COLUMNS`): sku, name, barcode, stock,
price, cost_price (what a unit costs the partner: profit only, never pushed), then `<marketplace>_id`, `<marketplace>_price`, `<marketplace>_status` for uzum, yandex, wildberries, ozon.

* xlsx: openpyxl write-only workbook (rows streamed through a temp file, strings inline: memory stays flat
  for 100,000 rows); bold frozen header; fixed column widths. SKU, barcode and marketplace ids are text cells
  (leading zeros and 13-digit barcodes survive) and their columns are formatted "@", so what the partner types
  there stays text too; stock and prices are number cells (General format: a per-cell "0.00" style costs ~40%
  more time with openpyxl). Strings are never written as formulas ("=..." stays text); characters XML can't
  hold (control characters, lone surrogates) are dropped; texts are cut to Excel's 32,767 characters.
  Speed (openpyxl without lxml, 17 columns, one core): ~5k rows/s written and ~5k rows/s read back, so
  100,000 rows take ~20 s each way: call to_xlsx / parse_import off the event loop (asyncio.to_thread).
* csv: UTF-8 with BOM, comma delimiter, decimal point, CRLF rows, no thousands separators; lone surrogates
  become "?". Name and status cells starting with = + - @ get a leading apostrophe (CSV formula injection);
  keys (SKU, barcode, ids) are written verbatim because they must come back unchanged. (Excel itself turns
  "00123" into 123 when it opens a CSV: the .xlsx is the file for partners to edit.) ~30k rows/s each way.

Import
------
`parse_import(filename, data)` reads .xlsx/.xlsm or .csv/.tsv/.txt, finds the header row, validates every row
and returns valid rows and rejected rows (each with one reason code). Whole-file problems raise
`ImportFileError(code)`. It raises nothing else, whatever the bytes.

Finding the table
    * xlsx: `data_only=True` (formulas give their cached values; a formula Excel never calculated is empty).
      Visible sheets are tried before hidden ones; the first sheet with a header row is used.
    * csv: a UTF-8 BOM (or UTF-16 BOM, Excel's "Unicode text") decides the encoding; otherwise UTF-8, and
      cp1251 when the bytes are not UTF-8. A first line `sep=;` (Excel) sets the delimiter and is skipped.
      Otherwise the delimiter is whichever of `;`, tab, `,` makes a header row with the most known columns.
    * The header row is the first row, among the first 10 non-empty rows, with a SKU column and a stock, price
      or cost price column (`no_columns` when only a SKU column is found, `no_header` when not even that).
      Header texts are compared after: case folding, ё→е, dropping text in brackets, dropping everything from
      the first comma ("Цена, сум" → "цена"), dropping every non-letter/non-digit ("Offer ID" = "offer_id" =
      "offerid"; "Кол-во" = "колво"; "Narx (so'm)" = "narx"). See `HEADER_SYNONYMS`. When two columns match
      one field, the more specific synonym wins (e.g. "Артикул продавца" over "Артикул" over "Код"), then the
      leftmost. Other columns (name, barcode, marketplace prices ...) are ignored.
    * Row numbers are the row numbers Excel shows (CSV: record number, not counting a `sep=` line).
    * A row whose SKU, stock, price and cost price cells are all empty is skipped silently (blank lines, group titles).
      Every other row after the header counts in `total_rows` and ends up in `rows` or `rejected`.

Cell rules (reason codes, checked in this order, one reason per row)
    * `misaligned_row` (CSV only): the row has a filled cell beyond the header's last column. In a CSV that
      means an unquoted delimiter inside a value ("Футболка, синяя" or "12,50" in a comma-separated file)
      shifted the cells, so even a number that parses may be from the wrong column. (In .xlsx, cells to the
      right of the header are just notes and are ignored.)
    * `missing_sku`: the SKU cell is empty. A SKU is the cell's text with surrounding whitespace removed
      (including no-break and zero-width spaces); a number cell gives its integer digits
      (4780000000014.0 → "4780000000014"). Case and inner spaces are kept.
    * `duplicate_sku`: the SKU already appeared in an earlier row of the file (counted from its first
      appearance, valid or not: with two rows for one SKU the partner's intent is unclear, so only the
      first row is judged).
    * `bad_stock`: stock must be a whole number 0..1,000,000. Stock is an absolute amount: "+5" is rejected.
    * `bad_price`: price must be > 0 and <= 1,000,000,000 with at most 2 decimal places (trailing zeros
      don't count: "10.500" is 10.50). Returned quantized to 0.01.
    * `bad_cost_price`: the cost price, by the price's rules (one parser for money, in chat and in files).
    * `nothing_to_update`: the stock, price and cost price cells are all empty (or those columns are absent).
    An empty stock, price or cost price cell means "leave as it is" (None); files from before the cost price
    column (no such column) import as they always did.

Numbers in text cells (CSV, or text-formatted Excel cells)
    * ASCII digits only; no sign, no currency, no exponent ("1e3", "4,78E+12" are rejected).
    * Spaces (any Unicode space, e.g. the no-break space Russian Excel puts in "1 234,50") may only be
      thousands separators: "1 234 567" ok, "12 34" rejected.
    * With both `,` and `.`, the last one is the decimal separator and the other groups thousands:
      "1,234.50" and "1.234,50" are 1234.50 ("1,23.4" is rejected: groups must have 3 digits).
    * The same separator more than once groups thousands: "1,234,567" and "1.234.567" are 1234567.
    * One separator is a decimal separator ("1234,5", "12.0", "12,00", "0,500") - EXCEPT when it is followed
      by exactly three digits and preceded by 1-3 digits not starting with 0 ("12,000", "1.500"): that is
      ambiguous (12 with three decimals from a Russian 1C report, or twelve thousand in an English-formatted
      sheet), a 1000x mistake either way, so the row is rejected and the partner retypes it without
      separators or as "12 000".
    Numbers in numeric Excel cells are used as they are; float noise from formulas is forgiven (within 1e-6
    of a whole number for stock, of a 2-decimal value for price: =A1*1.1 giving 21.989999999999998 is 21.99),
    anything else is rejected (=A1/3 → 6.666666666666667 is `bad_price`, not silently rounded).
    Booleans, dates and error values (#N/A) are rejected.
"""
from __future__ import annotations

import codecs
import csv
import io
import math
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from services.stock import MAX_STOCK

__all__ = [
    "MAX_ROWS", "MAX_BYTES", "MAX_STOCK", "MAX_PRICE", "MARKETPLACES", "EXPORT_COLUMNS", "HEADER_TEXTS",
    "HEADER_SYNONYMS", "REJECT_REASONS", "FILE_ERRORS", "MISSING_SKU", "DUPLICATE_SKU", "BAD_STOCK", "BAD_PRICE", "BAD_COST_PRICE",
    "NOTHING_TO_UPDATE", "MISALIGNED_ROW", "UNSUPPORTED_FORMAT", "TOO_LARGE", "NO_HEADER", "NO_COLUMNS", "EMPTY",
    "UNREADABLE",
    "ImportFileError", "MarketplaceCell", "ExportRow", "ImportRow", "RejectedRow", "ParsedImport",
    "export_headers", "export_table", "to_xlsx", "to_csv", "parse_import", "parse_stock", "parse_price",
    "parse_number_text", "normalize_header",
]

# ---------------------------------------------------------------------------------------------------------------
# Limits and codes
# ---------------------------------------------------------------------------------------------------------------
MAX_ROWS = 100_000  # data rows in one import
MAX_BYTES = 20 * 1024 * 1024  # the file as uploaded (also Telegram's bot download limit)
MAX_XLSX_UNPACKED_BYTES = 400 * 1024 * 1024  # all parts of an .xlsx unzipped (zip bombs); 100k rows x 17 cols ~ 60 MB
MAX_SCAN_ROWS = 1_048_576  # physical rows looked at (Excel's own sheet limit), blank ones included
HEADER_SCAN_ROWS = 10  # the header is among the first this-many non-empty rows
MAX_PRICE = Decimal("1000000000")  # the highest price a partner can set (a chat message or a file)
MAX_VALUE_SHOWN = 64  # RejectedRow.value is cut to this many characters (it goes into the report)

# Reasons a row is rejected (RejectedRow.reason)
MISSING_SKU = "missing_sku"  # the SKU cell is empty
DUPLICATE_SKU = "duplicate_sku"  # an earlier row of the file has this SKU (the first row is the one judged)
BAD_STOCK = "bad_stock"  # not a whole number 0..1,000,000 (or ambiguous separators, see module doc)
BAD_PRICE = "bad_price"  # not > 0 and <= 1,000,000,000 with <= 2 decimals (or ambiguous separators)
BAD_COST_PRICE = "bad_cost_price"  # the cost price breaks the price's rules
NOTHING_TO_UPDATE = "nothing_to_update"  # no stock, price or cost price given
MISALIGNED_ROW = "misaligned_row"  # CSV only: more filled cells than the header has columns, so they don't line up
REJECT_REASONS = (MISALIGNED_ROW, MISSING_SKU, DUPLICATE_SKU, BAD_STOCK, BAD_PRICE, BAD_COST_PRICE, NOTHING_TO_UPDATE)

# Whole-file problems (ImportFileError.code)
UNSUPPORTED_FORMAT = "unsupported_format"  # not .xlsx/.xlsm/.csv/.tsv/.txt (e.g. old .xls, .ods, .pdf)
TOO_LARGE = "too_large"  # more than MAX_BYTES, more than MAX_ROWS data rows, or an .xlsx unpacking too big
NO_HEADER = "no_header"  # no SKU column in the first 10 non-empty rows
NO_COLUMNS = "no_columns"  # a SKU column but no stock, price or cost price column
EMPTY = "empty"  # no content, or a header without any data rows
UNREADABLE = "unreadable"  # corrupt .xlsx, binary garbage, an encoding we can't read, broken CSV quoting
FILE_ERRORS = (UNSUPPORTED_FORMAT, TOO_LARGE, NO_HEADER, NO_COLUMNS, EMPTY, UNREADABLE)

XLSX_EXTENSIONS = (".xlsx", ".xlsm")
CSV_EXTENSIONS = (".csv", ".tsv", ".txt")

MARKETPLACES = ("uzum", "yandex", "wildberries", "ozon")
MARKETPLACE_TITLES = {"uzum": "Uzum", "yandex": "Yandex Market", "wildberries": "Wildberries", "ozon": "Ozon"}


class ImportFileError(Exception):
    """The file as a whole can't be imported; `code` is one of FILE_ERRORS."""

    def __init__(self, code: str, detail: str | None = None):
        super().__init__(code if detail is None else f"{code}: {detail}")
        self.code = code
        self.detail = detail


# ---------------------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MarketplaceCell:
    external_id: str | None = None
    price: Decimal | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class ExportRow:
    sku: str
    name: str
    barcode: str | None
    stock: int
    price: Decimal | None
    per_marketplace: dict[str, MarketplaceCell] = field(default_factory=dict)  # keyed by "uzum", "ozon" ...
    cost_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ImportRow:
    row_number: int
    sku: str
    stock: int | None  # None: leave the stock as it is
    price: Decimal | None  # None: leave the price as it is; else quantized to 0.01
    cost_price: Decimal | None = None  # None: leave the cost price as it is; else quantized to 0.01


@dataclass(frozen=True, slots=True)
class RejectedRow:
    row_number: int
    sku: str | None
    reason: str  # one of REJECT_REASONS
    value: str | None  # the offending cell as text (bad_stock / bad_price), cut to MAX_VALUE_SHOWN


@dataclass(slots=True)
class ParsedImport:
    rows: list[ImportRow]
    rejected: list[RejectedRow]
    total_rows: int  # non-blank data rows = len(rows) + len(rejected)
    columns: set[str]  # which of IMPORT_FIELDS the file has


# ---------------------------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------------------------
EXPORT_COLUMNS: tuple[str, ...] = ("sku", "name", "barcode", "stock", "price", "cost_price") + tuple(
    f"{mp}_{part}" for mp in MARKETPLACES for part in ("id", "price", "status"))

_TEXT_KEYS = {"sku", "barcode"} | {f"{mp}_id" for mp in MARKETPLACES}  # text cells; must survive unchanged
_WIDTHS = {"sku": 20, "name": 45, "barcode": 16, "stock": 10, "price": 14, "cost_price": 14}
_WIDTHS.update({f"{mp}_{part}": w for mp in MARKETPLACES for part, w in (("id", 16), ("price", 14), ("status", 14))})

HEADER_TEXTS: dict[str, dict[str, str]] = {
    "en": {"sku": "SKU", "name": "Name", "barcode": "Barcode", "stock": "Stock", "price": "Price", "cost_price": "Cost price",
           **{f"{mp}_{part}": f"{title} {word}" for mp, title in MARKETPLACE_TITLES.items()
              for part, word in (("id", "id"), ("price", "price"), ("status", "status"))}},
    "ru": {"sku": "Артикул", "name": "Название", "barcode": "Штрихкод", "stock": "Остаток", "price": "Цена", "cost_price": "Себестоимость",
           **{f"{mp}_{part}": text for mp, title in MARKETPLACE_TITLES.items()
              for part, text in (("id", f"ID {title}"), ("price", f"Цена {title}"), ("status", f"Статус {title}"))}},
    "uz": {"sku": "Artikul", "name": "Nomi", "barcode": "Shtrixkod", "stock": "Qoldiq", "price": "Narx", "cost_price": "Tannarx",
           **{f"{mp}_{part}": f"{title} {word}" for mp, title in MARKETPLACE_TITLES.items()
              for part, word in (("id", "ID"), ("price", "narxi"), ("status", "holati"))}},
}


def export_headers(headers_language: str = "en") -> list[str]:
    """Header texts in the partner's language ("en", "ru", "uz"; "ru-RU" works; anything else is English)."""
    lang = (headers_language or "en").replace("_", "-").split("-")[0].lower()
    texts = HEADER_TEXTS.get(lang, HEADER_TEXTS["en"])
    return [texts[key] for key in EXPORT_COLUMNS]


def export_table(rows: Iterable[ExportRow], headers_language: str = "en") -> tuple[list[str], Iterator[list]]:
    """The header texts and, lazily, one list of values per product in EXPORT_COLUMNS order: str for SKU,
    name, barcode, ids and statuses; int stock; Decimal prices; None for an empty cell."""
    return export_headers(headers_language), (_export_values(row) for row in rows)


def _export_values(row: ExportRow) -> list:
    values = [row.sku, row.name, row.barcode, row.stock, row.price, row.cost_price]
    for mp in MARKETPLACES:
        cell = row.per_marketplace.get(mp)
        if cell is None:
            values += [None, None, None]
        else:
            values += [cell.external_id, cell.price, cell.status]
    return values


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_MAX_TEXT = 32_767


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """An .xlsx with one sheet. Memory stays flat however many rows (write-only workbook, inline strings).
    When the columns are the export's own (len(headers) == len(EXPORT_COLUMNS)) they get their widths and
    text formats; otherwise widths come from the header texts."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    keys: Sequence[str | None] = EXPORT_COLUMNS if len(headers) == len(EXPORT_COLUMNS) else [None] * len(headers)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Catalog")
    ws.freeze_panes = "A2"
    for idx, (key, header) in enumerate(zip(keys, headers), 1):
        dim = ws.column_dimensions[get_column_letter(idx)]
        dim.width = max(_WIDTHS.get(key or "", 12), min(len(str(header)) + 3, 40))
        if key in _TEXT_KEYS:
            dim.number_format = "@"  # what the partner types into these columns stays text

    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(ws, value=_xlsx_text(str(header)))
        cell.data_type = "s"
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)

    for values in rows:
        out = []
        for value in values:
            if value is None:
                out.append(None)
            elif isinstance(value, str):
                text = _xlsx_text(value)
                if text.startswith("="):
                    cell = WriteOnlyCell(ws, value=text)
                    cell.data_type = "s"  # text, never a formula
                    out.append(cell)
                else:
                    out.append(text)  # a str is always written as a text cell, however numeric it looks
            else:
                out.append(value)  # int / Decimal: a number cell
        ws.append(out)

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _xlsx_text(text: str) -> str:
    return _ILLEGAL_XML.sub("", text)[:_EXCEL_MAX_TEXT]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with BOM (Excel then reads Cyrillic right), comma-delimited, decimal point, CRLF."""
    keys: Sequence[str | None] = EXPORT_COLUMNS if len(headers) == len(EXPORT_COLUMNS) else [None] * len(headers)
    guarded = {i for i, key in enumerate(keys) if key is not None and key not in _TEXT_KEYS}
    buffer = io.BytesIO()
    with io.TextIOWrapper(buffer, encoding="utf-8-sig", errors="replace", newline="") as stream:
        writer = csv.writer(stream, delimiter=",", lineterminator="\r\n")
        writer.writerow([str(h) for h in headers])
        for values in rows:
            writer.writerow([_csv_text(value, i in guarded) for i, value in enumerate(values)])
        stream.flush()
        return buffer.getvalue()


def _csv_text(value, guard: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        if guard and value.startswith(_FORMULA_START):
            return "'" + value
        return value
    return str(value)


# ---------------------------------------------------------------------------------------------------------------
# Import: headers
# ---------------------------------------------------------------------------------------------------------------
# Most specific first: when two columns match one field, the earlier synonym wins.
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sku": (
        # seller's own code, named by the marketplace templates
        "артикул продавца", "артикул поставщика", "ваш sku", "sku продавца", "seller sku", "offer id",
        "vendor code", "vendorcode", "supplier article", "sotuvchi artikuli", "sotuvchi sku",
        # generic ("Артикул" before "SKU": in Ozon's reports "SKU" is Ozon's own id, "Артикул" the seller's)
        "артикул", "artikul", "артикул товара", "mahsulot artikuli", "sku", "article",
        # last resort: 1C's "Код" is its own code, used only when there is no article column
        "код товара", "код", "kod", "mahsulot kodi", "code", "product code",
    ),
    "stock": (
        "stock", "остаток", "остатки", "остаток на складе", "количество", "кол во", "колво", "qoldiq", "qoldiqi",
        "miqdor", "miqdori", "soni", "қолдиқ", "миқдор", "миқдори", "сони", "quantity", "qty", "available",
        "доступно", "в наличии", "stock quantity", "fbs stock", "остаток fbs",
    ),
    "price": (
        "price", "цена", "narx", "narxi", "нарх", "нархи", "цена продажи", "розничная цена", "sotish narxi",
        "sale price", "retail price",  # not "Стоимость"/"Сумма": in 1C reports that is quantity x price
    ),
    "cost_price": (
        "cost price", "себестоимость", "tannarx", "tannarxi", "таннарх", "unit cost", "cost", "purchase price",
        "закупочная цена", "цена закупки", "xarid narxi",
    ),
}
IMPORT_FIELDS = ("sku", "stock", "price", "cost_price")
VALUE_FIELDS = IMPORT_FIELDS[1:]  # a header needs a SKU column and at least one of these

_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}")


def normalize_header(text: object) -> str:
    """What header texts are compared by (see the module doc)."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).casefold().replace("ё", "е")
    s = _BRACKETS.sub(" ", s).split(",", 1)[0]
    return "".join(ch for ch in s if ch.isalnum())


_SYNONYM_RANK: dict[str, tuple[str, int]] = {}
for _field, _names in HEADER_SYNONYMS.items():
    for _rank, _name in enumerate(_names):
        _SYNONYM_RANK.setdefault(normalize_header(_name), (_field, _rank))


def _match_header(cells: Sequence) -> dict[str, int]:
    """Field → column index for one candidate header row."""
    best: dict[str, tuple[int, int]] = {}
    for idx, cell in enumerate(cells):
        found = _SYNONYM_RANK.get(normalize_header(cell))
        if found is None:
            continue
        fld, rank = found
        if fld not in best or rank < best[fld][0]:
            best[fld] = (rank, idx)
    return {fld: idx for fld, (rank, idx) in best.items()}


# ---------------------------------------------------------------------------------------------------------------
# Import: cells
# ---------------------------------------------------------------------------------------------------------------
# every character str.isspace() knows (no-break and thin spaces included), plus zero-width ones
_STRIP = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
          "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufeff")
_SPACES = re.compile(r"[^\S]+|[\u200b\u200c\u200d\u2060\ufeff]+")
_DIGITS = re.compile(r"[0-9]+")
_GROUPED = {sep: re.compile(rf"[1-9][0-9]{{0,2}}(?:{re.escape(sep)}[0-9]{{3}})+") for sep in (" ", ",", ".")}
_AMBIGUOUS = re.compile(r"[1-9][0-9]{0,2}[.,][0-9]{3}")
_MAX_NUMBER_TEXT = 40


def _clean_text(value: str) -> str:
    return value.strip(_STRIP)


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not _clean_text(value))


def _shown(value) -> str:
    text = _clean_text(value) if isinstance(value, str) else (repr(value) if isinstance(value, float) else str(value))
    return text if len(text) <= MAX_VALUE_SHOWN else text[:MAX_VALUE_SHOWN - 1] + "…"


def _sku_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return str(int(value))
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    text = _clean_text(str(value))
    return text or None


def parse_number_text(text: str) -> Decimal | None:
    """A non-negative number written by a person or a spreadsheet, by the rules in the module doc; None when it
    breaks them (including the ambiguous "12,000")."""
    s = _SPACES.sub(" ", _clean_text(text))
    if not s or len(s) > _MAX_NUMBER_TEXT:
        return None
    if " " in s:
        # spaces only group thousands; the rest may end with a decimal part
        m = re.fullmatch(r"([0-9 ]+)(?:([.,])([0-9]+))?", s)
        if not m or not _GROUPED[" "].fullmatch(m.group(1)):
            return None
        return _decimal(m.group(1).replace(" ", ""), m.group(3))
    if _DIGITS.fullmatch(s):
        return _decimal(s, None)
    commas, dots = s.count(","), s.count(".")
    if commas and dots:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        grp = "." if dec == "," else ","
        whole, _, frac = s.rpartition(dec)
        if s.count(dec) != 1 or not _GROUPED[grp].fullmatch(whole) or not _DIGITS.fullmatch(frac):
            return None
        return _decimal(whole.replace(grp, ""), frac)
    sep = "," if commas else "."
    if s.count(sep) > 1:
        return _decimal(s.replace(sep, ""), None) if _GROUPED[sep].fullmatch(s) else None
    if _AMBIGUOUS.fullmatch(s):
        return None  # "12,000": twelve, or twelve thousand? don't guess with stock and money
    whole, _, frac = s.partition(sep)
    if not _DIGITS.fullmatch(whole) or not _DIGITS.fullmatch(frac):
        return None  # ",5" and "5," are rejected too
    return _decimal(whole, frac)


def _decimal(whole: str, frac: str | None) -> Decimal:
    return Decimal(f"{whole}.{frac}" if frac else whole)


_CENT = Decimal("0.01")
_NOISE = 1e-6


def parse_stock(value) -> int | None:
    """A stock cell (not empty) → the stock, or None when it isn't a whole number 0..MAX_STOCK."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or abs(value - round(value)) > _NOISE:
            return None
        number = int(round(value))
    elif isinstance(value, (Decimal, str)):
        dec = value if isinstance(value, Decimal) else parse_number_text(value)
        if dec is None or not dec.is_finite() or dec != dec.to_integral_value():
            return None
        number = int(dec)
    else:
        return None
    return number if 0 <= number <= MAX_STOCK else None


def parse_price(value) -> Decimal | None:
    """A price cell (not empty) → the price quantized to 0.01, or None when it breaks the rules."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int):
            dec = Decimal(value)
        elif isinstance(value, float):
            if not math.isfinite(value) or abs(value) > 1e12:
                return None
            rounded = round(value, 2)
            if abs(value - rounded) > _NOISE:
                return None
            dec = Decimal(repr(rounded))
        elif isinstance(value, Decimal):
            dec = value
        elif isinstance(value, str):
            dec = parse_number_text(value)
        else:
            return None
        if dec is None or not dec.is_finite() or not (0 < dec <= MAX_PRICE) or dec != dec.quantize(_CENT):
            return None
        return dec.quantize(_CENT)
    except (InvalidOperation, ValueError, OverflowError):
        return None


# ---------------------------------------------------------------------------------------------------------------
# Import: the file
# ---------------------------------------------------------------------------------------------------------------
def parse_import(filename: str, data: bytes) -> ParsedImport:
    """Validate a partner's file; nothing is applied here. Raises only ImportFileError."""
    name = (filename or "").strip().lower()
    if name.endswith(XLSX_EXTENSIONS):
        kind = "xlsx"
    elif name.endswith(CSV_EXTENSIONS):
        kind = "csv"
    else:
        raise ImportFileError(UNSUPPORTED_FORMAT)
    if len(data) > MAX_BYTES:
        raise ImportFileError(TOO_LARGE, f"{len(data)} bytes")
    if not data.strip():
        raise ImportFileError(EMPTY)
    if kind == "xlsx":
        return _parse_xlsx(data)
    return _parse_csv(data)


_Rows = Iterator[tuple[int, Sequence]]  # (row number as Excel shows it, cell values)


def _find_header(rows: _Rows) -> tuple[dict[str, int] | None, int, bool, bool]:
    """Read up to HEADER_SCAN_ROWS non-empty rows. Returns (columns of the header row or None, the header row's
    width, whether a SKU column was seen at all, whether any non-empty row was seen); the iterator is left just
    after the header row."""
    seen_sku = seen_any = False
    looked = 0
    for _, cells in rows:
        if all(_is_empty(c) for c in cells):
            continue
        seen_any = True
        columns = _match_header(cells)
        if "sku" in columns:
            seen_sku = True
            if any(f in columns for f in VALUE_FIELDS):
                return columns, len(cells), True, True
        looked += 1
        if looked >= HEADER_SCAN_ROWS:
            break
    return None, 0, seen_sku, seen_any


def _validate(rows: _Rows, columns: dict[str, int], width: int | None) -> ParsedImport:
    """`width`: reject rows with filled cells beyond it (CSV); None: ignore cells beyond the header (xlsx)."""
    sku_col = columns["sku"]
    stock_col = columns.get("stock")
    price_col = columns.get("price")
    cost_col = columns.get("cost_price")
    accepted: list[ImportRow] = []
    rejected: list[RejectedRow] = []
    seen: set[str] = set()
    total = 0

    def cell(cells: Sequence, idx: int | None):
        return cells[idx] if idx is not None and idx < len(cells) else None

    for row_number, cells in rows:
        raw_sku, raw_stock, raw_price = cell(cells, sku_col), cell(cells, stock_col), cell(cells, price_col)
        raw_cost = cell(cells, cost_col)
        stock_empty, price_empty, cost_empty = _is_empty(raw_stock), _is_empty(raw_price), _is_empty(raw_cost)
        sku = _sku_text(raw_sku)
        if sku is None and stock_empty and price_empty and cost_empty:
            continue  # blank (or a title line): skipped silently
        total += 1
        if total > MAX_ROWS:
            raise ImportFileError(TOO_LARGE, f"more than {MAX_ROWS} rows")
        if width is not None and len(cells) > width and not all(_is_empty(c) for c in cells[width:]):
            extra = next(c for c in cells[width:] if not _is_empty(c))
            rejected.append(RejectedRow(row_number, sku, MISALIGNED_ROW, _shown(extra)))
            continue
        if sku is None:
            rejected.append(RejectedRow(row_number, None, MISSING_SKU, None))
            continue
        if sku in seen:
            rejected.append(RejectedRow(row_number, sku, DUPLICATE_SKU, None))
            continue
        seen.add(sku)
        stock = price = cost = None
        if not stock_empty:
            stock = parse_stock(raw_stock)
            if stock is None:
                rejected.append(RejectedRow(row_number, sku, BAD_STOCK, _shown(raw_stock)))
                continue
        if not price_empty:
            price = parse_price(raw_price)
            if price is None:
                rejected.append(RejectedRow(row_number, sku, BAD_PRICE, _shown(raw_price)))
                continue
        if not cost_empty:
            cost = parse_price(raw_cost)
            if cost is None:
                rejected.append(RejectedRow(row_number, sku, BAD_COST_PRICE, _shown(raw_cost)))
                continue
        if stock is None and price is None and cost is None:
            rejected.append(RejectedRow(row_number, sku, NOTHING_TO_UPDATE, None))
            continue
        accepted.append(ImportRow(row_number, sku, stock, price, cost))
    if total == 0:
        raise ImportFileError(EMPTY, "no data rows")
    return ParsedImport(accepted, rejected, total, {f for f in IMPORT_FIELDS if f in columns})


def _limited(rows: Iterator[Sequence], start: int = 1) -> _Rows:
    for number, cells in enumerate(rows, start):
        if number > MAX_SCAN_ROWS:
            raise ImportFileError(TOO_LARGE, f"more than {MAX_SCAN_ROWS} rows")
        yield number, cells


# --- xlsx ------------------------------------------------------------------------------------------------------
def _guarded(rows: Iterator) -> Iterator:
    """openpyxl parses lazily: a broken sheet fails in the middle of iterating."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except ImportFileError:
            raise
        except Exception as exc:  # anything openpyxl or the XML parser raises on a broken file
            raise ImportFileError(UNREADABLE, type(exc).__name__) from None
        yield row


def _parse_xlsx(data: bytes) -> ParsedImport:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception:
        raise ImportFileError(UNREADABLE, "not a zip") from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportFileError(TOO_LARGE, f"{unpacked} bytes unpacked")

    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:
        raise ImportFileError(UNREADABLE, type(exc).__name__) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                sheets = sorted(wb.worksheets, key=lambda ws: ws.sheet_state != "visible")
            except Exception as exc:
                raise ImportFileError(UNREADABLE, type(exc).__name__) from None
            seen_sku = seen_any = False
            for ws in sheets:
                if not hasattr(ws, "reset_dimensions"):
                    continue
                ws.reset_dimensions()  # some producers write a wrong <dimension>; read what's really there
                rows = _limited(_guarded(ws.iter_rows(values_only=True)))
                columns, _, sku, anything = _find_header(rows)
                seen_sku, seen_any = seen_sku or sku, seen_any or anything
                if columns is not None:
                    return _validate(rows, columns, None)
            raise ImportFileError(NO_COLUMNS if seen_sku else NO_HEADER if seen_any else EMPTY)
    finally:
        try:
            wb.close()
        except Exception:
            pass


# --- csv -------------------------------------------------------------------------------------------------------
_SEP_LINE = re.compile(r"sep=(.)\r?\n?", re.IGNORECASE)


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "cp1251"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break  # binary, or UTF-16 without a BOM
        return text
    raise ImportFileError(UNREADABLE, "encoding")


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _csv_rows(text: str, delimiter: str, start: int) -> _Rows:
    # Lines are cut lazily (as open(newline="") would: \r\n, \r or \n, kept on the line, so quoted fields
    # may hold line breaks) instead of io.StringIO(text), which would copy the whole text as UCS-4.
    lines = (m.group() for m in _LINE.finditer(text))
    rows = iter(csv.reader(lines, delimiter=delimiter))

    def guarded() -> Iterator[list[str]]:
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. an unclosed quote swallowing the file into one huge field
                raise ImportFileError(UNREADABLE, f"csv: {exc}") from None
            yield row

    return _limited(guarded(), start)


def _parse_csv(data: bytes) -> ParsedImport:
    text = _decode(data)
    start = 1
    first_line = text[:12]
    sep = _SEP_LINE.match(first_line)
    if sep is not None and sep.group(1) in ",;\t|":
        delimiters = [sep.group(1)]
        text = text[sep.end():]
    else:
        delimiters = [";", "\t", ","]
    if not text.strip(_STRIP):
        raise ImportFileError(EMPTY)

    best: tuple[int, str] | None = None  # (known fields, delimiter); on a tie the earlier delimiter
    seen_sku, seen_any = False, True  # empty: no cell under some delimiter (",," is empty when split by ",")
    for delimiter in delimiters:
        rows = _csv_rows(text, delimiter, start)
        columns, _, sku, anything = _find_header(rows)
        seen_sku, seen_any = seen_sku or sku, seen_any and anything
        if columns is not None:
            if best is None or len(columns) > best[0]:
                best = (len(columns), delimiter)
    if best is None:
        raise ImportFileError(NO_COLUMNS if seen_sku else NO_HEADER if seen_any else EMPTY)
    rows = _csv_rows(text, best[1], start)
    columns, width, _, _ = _find_header(rows)
    assert columns is not None
    return _validate(rows, columns, width)
