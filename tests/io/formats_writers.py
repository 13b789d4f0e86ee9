"""Writers of radar field formats for the tests, from the formats'
documented layouts (pipeline/io/FORMATS.md), independent of minescan's
readers: GSSI DZT, Sensors & Software DT1 + HD, MALA rd3/rd7 + rad, and
SEG-Y through python3-segyio.

Each takes the raw sample values it writes, so a test can compare the
imported recording with exactly what went in."""
import random
import struct

import numpy as np


def write_dzt(path, scans, bits=16, rh_data=None, spm=50.0, sps=64.0,
              range_ns=20.0, position_ns=0.0, antennas=("50400S",),
              tag=0x00FF, trailing=b"", epsr=8.0, date=None):
    """scans: raw integer samples [n_channels][n_scans][n_samples] (uint8,
    uint16 or int32 values as stored). rh_data None: 1024 x n_channels
    (written as 1024, "use the channel count"); an int < 1024 puts the data
    at 1024 x rh_data."""
    scans = np.asarray(scans)
    nchan, nscan, nsamp = scans.shape
    if rh_data is None:
        rh_data, offset = 1024, 1024 * nchan
    else:
        offset = 1024 * rh_data if rh_data < 1024 else 1024 * nchan
    head = bytearray(offset)
    for c in range(nchan):
        b = 1024 * c
        struct.pack_into("<hHhhh", head, b, tag if c == 0 else tag | (c << 12),
                         rh_data, nsamp, bits,
                         {8: 0x80, 16: 0x8000, 32: 0}[bits] & 0x7FFF)
        struct.pack_into("<5f", head, b + 10, sps, spm, 0.0, position_ns,
                         range_ns)
        struct.pack_into("<h", head, b + 30, 1)
        if date is not None:  # (year, month, day, hour, minute, second)
            y, mo, d, h, mi, s = date
            packed = (s // 2) | mi << 5 | h << 11 | d << 16 | mo << 21 | \
                (y - 1980) << 25
            struct.pack_into("<I", head, b + 32, packed)
        struct.pack_into("<h", head, b + 52, nchan)
        struct.pack_into("<f", head, b + 54, epsr)
        name = antennas[c % len(antennas)].encode()[:14]
        head[b + 98:b + 98 + len(name)] = name
    dtype = {8: "<u1", 16: "<u2", 32: "<i4"}[bits]
    # channels interleaved per scan: [scan][channel][sample]
    body = np.ascontiguousarray(scans.transpose(1, 0, 2)).astype(dtype)
    with open(path, "wb") as f:
        f.write(bytes(head))
        f.write(body.tobytes())
        f.write(trailing)


def write_hd_dt1(stem, traces, positions, window_ns=20.0, tz_point=1.0,
                 freq_mhz=500.0, units="m", float_samples=False,
                 shuffle_seed=None, ext=("HD", "DT1"), extra=None,
                 n_traces_field=None):
    """traces [n][npts] (int16 values, or float32 with float_samples),
    positions [n] in `units`. The .HD lines in a shuffled order when
    shuffle_seed is given."""
    traces = np.asarray(traces)
    n, npts = traces.shape
    fields = [
        ("NUMBER OF TRACES", str(n if n_traces_field is None
                                 else n_traces_field)),
        ("NUMBER OF PTS/TRC", str(npts)),
        ("TIMEZERO AT POINT", repr(tz_point)),
        ("TOTAL TIME WINDOW", repr(window_ns)),
        ("STARTING POSITION", repr(float(positions[0]))),
        ("FINAL POSITION", repr(float(positions[-1]))),
        ("STEP SIZE USED", repr(float(positions[1] - positions[0])
                                if n > 1 else 0.0)),
        ("POSITION UNITS", units),
        ("NOMINAL FREQUENCY", repr(freq_mhz)),
        ("ANTENNA SEPARATION", "0.5"),
        ("PULSER VOLTAGE (V)", "400"),
        ("NUMBER OF STACKS", "4"),
    ]
    fields += list((extra or {}).items())
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(fields)
    lines = ["1234", "test line - written by formats_writers.py",
             "2026-Dec-02"] + [f"{k:<19}= {v}" for k, v in fields]
    with open(f"{stem}.{ext[0]}", "w", newline="\r\n") as f:
        f.write("\n".join(lines) + "\n")
    bpp = 4 if float_samples else 2
    with open(f"{stem}.{ext[1]}", "wb") as f:
        for i in range(n):
            h = np.zeros(32, "<f4")
            h[0], h[1], h[2], h[5], h[6], h[7] = (i + 1, positions[i], npts,
                                                   bpp, window_ns, 4)
            f.write(h.tobytes())
            f.write(traces[i].astype("<f4" if float_samples else "<i2")
                    .tobytes())


def write_mala(stem, traces, bytes_per_sample=2, freq_mhz=10000.0,
               window_ns=None, dist=0.02, antennas="MALA 800MHz",
               last_trace=None, ext=None, trailing=b"", extra=None):
    """traces [n][samples] int16 (.rd3) or int32 (.rd7). FREQUENCY is the
    sampling frequency in MHz."""
    traces = np.asarray(traces)
    n, ns = traces.shape
    data_ext = ext or ("rd3" if bytes_per_sample == 2 else "rd7")
    rad = {"SAMPLES": ns, "FREQUENCY": freq_mhz, "FREQUENCY STEPS": 20,
           "SIGNAL POSITION": 0, "RAW SIGNAL POSITION": 0,
           "DISTANCE FLAG": 1 if dist else 0, "TIME FLAG": 0,
           "PROGRAM FLAG": 0, "EXTERNAL FLAG": 0, "TIME INTERVAL": 0.1,
           "DISTANCE INTERVAL": dist, "OPERATOR": "test", "CUSTOMER": "",
           "SITE": "lane 1", "ANTENNAS": antennas, "ANTENNA ORIENTATION": "",
           "ANTENNA SEPARATION": 0.14, "COMMENT": "",
           "TIMEWINDOW": window_ns if window_ns is not None
           else ns * 1000.0 / freq_mhz,
           "STACKS": 1, "STACK EXPONENT": 0, "STACKING TIME": 0,
           "LAST TRACE": n if last_trace is None else last_trace,
           "STOP POSITION": n * dist}
    rad.update(extra or {})
    with open(f"{stem}.rad", "w", newline="\r\n") as f:
        f.write("\n".join(f"{k}:{v}" for k, v in rad.items()) + "\n")
    with open(f"{stem}.{data_ext}", "wb") as f:
        f.write(traces.astype("<i2" if bytes_per_sample == 2 else "<i4")
                .tobytes())
        f.write(trailing)


def write_segy(path, traces, xs, ys=None, interval=100, fmt=5,
               scalar=-100, endian="big"):
    """traces [n][samples] float32, positions xs (and ys) in metres, stored
    as source X/Y integers with coordinate scalar `scalar` (negative
    divides). interval in the binary header (units as the caller means
    them). fmt 1 IBM float, 5 IEEE float, 3 int16. endian "little" writes
    a little-endian file (segyio's option; no byte-order constant)."""
    import segyio
    traces = np.asarray(traces, np.float32)
    n, ns = traces.shape
    ys = np.zeros(n) if ys is None else ys
    spec = segyio.spec()
    spec.format = fmt
    spec.samples = list(range(ns))
    spec.tracecount = n
    spec.endian = endian
    mult = -scalar if scalar < 0 else 1.0 / scalar
    with segyio.create(path, spec) as f:
        f.bin.update({segyio.BinField.Interval: interval,
                      segyio.BinField.Samples: ns,
                      segyio.BinField.Format: fmt})
        for i in range(n):
            f.header[i] = {
                segyio.TraceField.TRACE_SEQUENCE_LINE: i + 1,
                segyio.TraceField.SourceGroupScalar: scalar,
                segyio.TraceField.SourceX: int(round(xs[i] * mult)),
                segyio.TraceField.SourceY: int(round(ys[i] * mult)),
                segyio.TraceField.CoordinateUnits: 1,
                segyio.TraceField.TRACE_SAMPLE_COUNT: ns,
                segyio.TraceField.TRACE_SAMPLE_INTERVAL: interval,
            }
            f.trace[i] = traces[i]


def write_segy_struct(path, traces, xs, order=">", fmt=5, interval=0,
                      samples_field=None, rev2=False, ext_samples=0,
                      ext_interval=0.0, order_constant=False, scalar=-100,
                      first_trace_offset=0, n_ext_text=0):
    """SEG-Y written byte by byte from the standard's layout (rev 1 and
    rev 2), in either byte order (`order` ">" or "<"), independent of
    segyio: traces [n][samples] float32 (fmt 5) or int16/int32 values
    (fmt 3/2). rev 2: extended sample count (byte 3269), extended sample
    interval as an IEEE double (3273), the byte-order constant 0x01020304
    (3297) when order_constant, the first trace's byte offset (3521)."""
    traces = np.asarray(traces)
    n, ns = traces.shape
    o = order
    text = bytearray(b"C 1 written by formats_writers.write_segy_struct"
                     .ljust(3200, b" "))
    b = bytearray(400)  # index = SEG-Y byte - 3201
    struct.pack_into(o + "H", b, 3217 - 3201, interval)
    struct.pack_into(o + "H", b, 3221 - 3201,
                     ns if samples_field is None else samples_field)
    struct.pack_into(o + "H", b, 3225 - 3201, fmt)
    struct.pack_into(o + "H", b, 3255 - 3201, 1)  # metres
    if rev2:
        b[3501 - 3201], b[3502 - 3201] = 2, 0
        struct.pack_into(o + "I", b, 3269 - 3201, ext_samples)
        struct.pack_into(o + "d", b, 3273 - 3201, ext_interval)
        struct.pack_into(o + "Q", b, 3521 - 3201, first_trace_offset)
    else:
        b[3501 - 3201] = 1
    if order_constant:
        struct.pack_into(o + "I", b, 3297 - 3201, 0x01020304)
    struct.pack_into(o + "H", b, 3503 - 3201, 1)  # fixed-length traces
    struct.pack_into(o + "h", b, 3505 - 3201, n_ext_text)
    dtype = {5: "f4", 3: "i2", 2: "i4"}[fmt]
    mult = -scalar if scalar < 0 else 1.0 / scalar
    with open(path, "wb") as f:
        f.write(bytes(text))
        f.write(bytes(b))
        f.write(b" " * 3200 * n_ext_text)
        if first_trace_offset:
            f.write(b"\0" * (first_trace_offset - f.tell()))
        for i in range(n):
            h = bytearray(240)
            struct.pack_into(o + "i", h, 0, i + 1)
            struct.pack_into(o + "h", h, 70, scalar)
            struct.pack_into(o + "i", h, 72, int(round(xs[i] * mult)))
            struct.pack_into(o + "h", h, 88, 1)  # coordinate units: length
            struct.pack_into(o + "H", h, 114, min(ns, 65535))
            struct.pack_into(o + "H", h, 116, interval)
            f.write(bytes(h))
            f.write(traces[i].astype(o + dtype).tobytes())


def write_mala_cor(path, fixes):
    """MALA .cor GPS sidecar: fixes [(trace counted from 1, lat, lon)] in
    decimal degrees (negative: S / W), one tab-separated line each:
    TRACE DATE TIME LAT N|S LON E|W ALTITUDE M QUALITY."""
    with open(path, "w", newline="\r\n") as f:
        for i, (tr, lat, lon) in enumerate(fixes):
            f.write("\t".join([
                str(tr), "2026-12-02", f"12:00:{i % 60:02d}:000",
                f"{abs(lat):.9f}", "S" if lat < 0 else "N",
                f"{abs(lon):.9f}", "W" if lon < 0 else "E", "100.00", "M",
                "1"]) + "\n")
