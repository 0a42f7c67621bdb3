"""The one dtype family of every frame flowkit returns.

- **Numbers, text and booleans** are Arrow-backed (:class:`pandas.ArrowDtype`): ``int32[pyarrow]``
  ports and protocols, ``int64[pyarrow]`` counters and times in seconds, ``double[pyarrow]``,
  ``string[pyarrow]`` addresses and names, ``bool[pyarrow]``. Missing (``-`` in a record) is ``<NA>``.
- **Times** are pandas' own ``datetime64[ms, UTC]`` (``datetime64[ms]`` for a time without a zone, as
  Athena's ``timestamp`` beside ``timestamp with time zone``, and for a ``date``, at midnight).

Why this family (measured on pandas 2.2 and 3.1; ``tests/test_frames.py`` holds it to that):

- a comparison on any column gives the same kind of boolean, so masks combine with ``&``, ``|`` and
  ``~`` in any order (``(df.dstport == 22) & (df.action == "ACCEPT")``). Masked ``Int32`` beside
  ``StringDtype("pyarrow")`` does not: ``&`` between them raises "boolean value of NA is ambiguous";
- missing values compare as in SQL: ``df[df.action != "ACCEPT"]`` keeps the rejected records and not
  the NODATA ones, as ``WHERE action <> 'ACCEPT'`` does on Athena. pandas' ``str`` dtype (``NaN`` for
  missing) composes too, but there ``NaN != "ACCEPT"`` is true: NODATA records would slip silently
  into every ``!=`` filter;
- numbers, text and booleans come from the reader's and DuckDB's Arrow tables without a copy;
- times are numpy-backed because only those compare with strings (``df["@timestamp"] > "2026-11-02"``).

One idiom differs: a split gives an Arrow list, read with ``.list``:
``df.label.str.split(":").list[0]`` (``.str[0]`` is for text).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

__all__ = ["TEXT", "dtype_for", "from_arrow", "with_flowkit_dtypes"]

#: The dtype of text columns.
TEXT = pd.ArrowDtype(pa.string())


def dtype_for(arrow_type: pa.DataType) -> pd.api.extensions.ExtensionDtype | str:
    """The pandas dtype flowkit gives a column of ``arrow_type``.

    Examples:
        >>> import pyarrow as pa
        >>> [str(dtype_for(t)) for t in (pa.int32(), pa.large_string(), pa.timestamp("s", "UTC"))]
        ['int32[pyarrow]', 'string[pyarrow]', 'datetime64[ms, UTC]']
    """
    if pa.types.is_timestamp(arrow_type):
        return f"datetime64[ms, {arrow_type.tz}]" if arrow_type.tz else "datetime64[ms]"
    if pa.types.is_date(arrow_type):
        return "datetime64[ms]"
    if _is_text(arrow_type):
        return TEXT
    return pd.ArrowDtype(arrow_type)


def _is_text(arrow_type: pa.DataType) -> bool:
    return (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_string_view(arrow_type)
    )


def _is_time(arrow_type: pa.DataType) -> bool:
    return pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type)


def _mapper(arrow_type: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    # to_pandas() types_mapper: None lets pyarrow make times and dates numpy datetimes (zone kept)
    return None if _is_time(arrow_type) else dtype_for(arrow_type)


def from_arrow(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a frame of flowkit's dtypes (no copy of numbers, text and booleans).

    Examples:
        >>> import pyarrow as pa
        >>> df = from_arrow(pa.table({"dstport": pa.array([22, None], pa.int32()), "action": ["ACCEPT", "REJECT"]}))
        >>> df[(df.dstport == 22) & (df.action == "ACCEPT")].index.tolist()
        [0]
    """
    for i, field in enumerate(table.schema):
        if pa.types.is_large_string(field.type) or pa.types.is_string_view(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
    frame = table.to_pandas(types_mapper=_mapper, split_blocks=True, date_as_object=False)
    for i, field in enumerate(table.schema):
        if _is_time(field.type):
            frame.isetitem(i, frame.iloc[:, i].astype(dtype_for(field.type)))
    return frame


def with_flowkit_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every column in flowkit's dtypes (a new frame; its ``attrs`` are kept).

    For frames flowkit builds with pandas (analysis results, AWS results from awswrangler or
    boto3): numpy and masked numbers, booleans and strings become Arrow-backed, datetimes
    milliseconds (their time zone kept). Lists, mappings and mixed Python objects
    are left as they are.

    Examples:
        >>> import pandas as pd
        >>> with_flowkit_dtypes(pd.DataFrame({"n": [1, 2], "name": ["a", None]})).dtypes.astype(str).tolist()
        ['int64[pyarrow]', 'string[pyarrow]']
    """
    columns = [_conform(frame.iloc[:, i]) for i in range(frame.shape[1])]
    result = pd.concat(columns, axis=1) if columns else frame.copy()
    result.columns = frame.columns
    result.attrs = dict(frame.attrs)
    return result


def _conform(values: pd.Series) -> pd.Series:
    dtype = values.dtype
    if isinstance(dtype, pd.ArrowDtype):
        return values.astype(dtype_for(dtype.pyarrow_dtype))
    if isinstance(dtype, pd.CategoricalDtype):
        return values
    if pd.api.types.is_datetime64_any_dtype(dtype):
        zone = getattr(dtype, "tz", None)
        return values.astype(f"datetime64[ms, {zone}]" if zone else "datetime64[ms]")
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return values  # mixed Python objects: nothing better to offer
    if pa.types.is_nested(array.type):
        return values  # lists and mappings (example records, tags) stay Python objects
    if pa.types.is_null(array.type):
        array = array.cast(pa.string())  # an all-missing column: text, as a CSV reader would give
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    return pd.Series(pd.arrays.ArrowExtensionArray(array), index=values.index, name=values.name)
