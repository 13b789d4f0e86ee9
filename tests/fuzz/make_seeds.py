"""Seed corpora for the fuzz targets: small recordings written with h5py
(every variant the format allows, a few KB each) and recipe texts.
Usage: make_seeds.py OUTDIR [MINESCAN]  (MINESCAN: take the built-in
recipes from `minescan recipes --show`)."""
import os
import subprocess
import sys

import h5py
import numpy as np

out = sys.argv[1]
rec_dir = os.path.join(out, "recording")
recipe_dir = os.path.join(out, "recipe")
os.makedirs(rec_dir, exist_ok=True)
os.makedirs(recipe_dir, exist_ok=True)
rng = np.random.default_rng(1)


def root(f):
    f.attrs["format"] = "minescan-recording"
    f.attrs["format_version"] = 1
    f.attrs["title"] = "seed"


def gpr(f, n=6, m=16, dtype="f4", **kw):
    g = f.create_group("gpr")
    g.attrs["sample_interval_s"] = 1e-10
    g.attrs["centre_frequency_hz"] = 1e9
    data = rng.normal(size=(n, m)).astype(dtype)
    g.create_dataset("data", data=data, **kw)
    g.create_dataset("x", data=np.linspace(0, 1, n))
    g.create_dataset("y", data=np.zeros(n))
    return g


def emi(f, n=8, ch=2):
    e = f.create_group("emi")
    e.attrs["channel_names"] = [b"a", b"b"][:ch]
    e.create_dataset("data", data=rng.normal(size=(n, ch)).astype("f4"))
    e.create_dataset("x", data=np.linspace(0, 1, n))
    e.create_dataset("y", data=np.zeros(n))


def extras(f):
    lane = f.create_group("lane")
    for k, v in (("x_min", 0.0), ("x_max", 1.0), ("y_min", -0.5),
                 ("y_max", 0.5)):
        lane.attrs[k] = v
    t = f.create_group("truth")
    t.create_dataset("x", data=[0.5])
    t.create_dataset("y", data=[0.0])
    t.create_dataset("is_mine", data=[1], dtype="i1")
    t.create_dataset("label", data=[b"PMN"],
                     dtype=h5py.string_dtype("ascii"))
    m = f.create_group("marks")
    m.create_dataset("x", data=[0.4])
    m.create_dataset("y", data=[0.1])


def write(name, fill):
    with h5py.File(os.path.join(rec_dir, name), "w", libver="earliest") as f:
        fill(f)


write("gpr_only.h5", lambda f: (root(f), gpr(f)))
write("emi_only.h5", lambda f: (root(f), emi(f)))
write("both_extras.h5", lambda f: (root(f), gpr(f), emi(f), extras(f)))
write("chunked_deflate.h5",
      lambda f: (root(f), gpr(f, chunks=(2, 8), compression="gzip",
                              shuffle=True)))


def int16_cf(f):
    root(f)
    g = gpr(f, dtype="i2")
    g["data"].attrs["scale_factor"] = 0.5
    g["data"].attrs["add_offset"] = 1.0
    g["data"].attrs["_FillValue"] = np.int16(-32768)


write("int16_cf.h5", int16_cf)


def nan_traces(f):
    root(f)
    g = gpr(f)
    d = g["data"][...]
    d[2, :] = np.nan
    g["data"][...] = d
    x = g["x"][...]
    x[4] = np.inf
    g["x"][...] = x


write("nan_traces.h5", nan_traces)


def gprmax(f):
    f.attrs["dt"] = 1e-11
    f.attrs["Iterations"] = 16
    f.attrs["dx_dy_dz"] = (0.002, 0.002, 0.002)
    f.attrs["rxsteps"] = (1, 0, 0)
    f.create_dataset("rxs/rx1/Ez", data=rng.normal(size=(16, 4)))


write("gprmax.h5", gprmax)
with h5py.File(os.path.join(rec_dir, "new_format.h5"), "w",
               libver="latest") as f:
    root(f)
    gpr(f)

recipes = {
    "one.txt": "stage dewow periods=3 window_ns=2.0\n",
    "slots.txt": "stage envelope in=gpr,gpr_valid out=e half_taps=3\n"
                 "output anomaly=e\n",
    "override.txt": "stage grid cell_m=0.02\n# c\n\ngrid.cell_m=0.05",
}
if len(sys.argv) > 2:
    text = subprocess.run([sys.argv[2], "recipes", "--show"],
                          capture_output=True, text=True).stdout
    for i, block in enumerate(text.split("\n\n")):
        lines = block.splitlines()[1:]
        if lines:
            recipes[f"builtin{i}.txt"] = "\n".join(lines) + "\n"
for name, text in recipes.items():
    with open(os.path.join(recipe_dir, name), "w") as f:
        f.write(text)

# ---- vendor formats (fuzz_formats; layout in fuzz_formats_input.h) ------
# written by the tests' independent writers into a scratch folder, then
# packed as [parser, flags, text length (2 bytes LE), text, data]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "io"))
import struct  # noqa: E402
import tempfile  # noqa: E402

import formats_writers as fw  # noqa: E402

fmt_dir = os.path.join(out, "formats")
os.makedirs(fmt_dir, exist_ok=True)


def pack(name, parser, flags, text, data):
    with open(os.path.join(fmt_dir, name), "wb") as f:
        f.write(bytes([parser, flags]) + struct.pack("<H", len(text)) +
                text + data)


def slurp(path):
    with open(path, "rb") as f:
        return f.read()


with tempfile.TemporaryDirectory() as tmp:
    t = lambda n: os.path.join(tmp, n)  # noqa: E731
    for bits in (8, 16, 32):
        fw.write_dzt(t("a.dzt"), rng.integers(0, 200, (2, 6, 16)), bits=bits)
        pack(f"dzt{bits}", 0, 0, b"", slurp(t("a.dzt")))
    fw.write_dzt(t("tm.dzt"), rng.integers(0, 65535, (1, 6, 16)), spm=0.0)
    dzg = (b"$GSSIS,0,0.0\r\n$GPGGA,120000.00,4530.0000,N,00700.0000,E,1,"
           b"08,1.0,100.0,M,47.0,M,,*47\r\n\r\n$GSSIS,5,0.0\r\n$GPGGA,"
           b"120001.00,4530.0100,N,00700.0000,E,1,08,1.0,100.0,M,47.0,M,,"
           b"*47\r\n")
    pack("dzt_dzg", 0, 0, dzg, slurp(t("tm.dzt")))
    pack("dzt_dx", 0, 1, b"", slurp(t("tm.dzt")))
    dzx = (b'<DZX xmlns="www.geophysical.com/DZX/1.02"><File><Profile>'
           b"<WayPt><scan>0</scan><distance>0</distance></WayPt>"
           b"<WayPt><scan>5</scan><distance>2.5</distance></WayPt>"
           b"</Profile></File></DZX>")
    pack("dzt_dzx", 0, 0, dzg + b"\0" + dzx, slurp(t("tm.dzt")))
    for fl in (False, True):
        fw.write_hd_dt1(t("l"), rng.integers(-99, 99, (5, 16)),
                        np.arange(5, dtype=np.float32), float_samples=fl,
                        shuffle_seed=3, units="ft")
        pack(f"dt1_{int(fl)}", 1, 0, slurp(t("l.HD")), slurp(t("l.DT1")))
    for bps in (2, 4):
        fw.write_mala(t("m"), rng.integers(-99, 99, (5, 16)),
                      bytes_per_sample=bps)
        pack(f"mala{bps}", 2, 4 if bps == 4 else 0, slurp(t("m.rad")),
             slurp(t(f"m.rd{3 if bps == 2 else 7}")))
    fw.write_mala(t("m"), rng.integers(-99, 99, (5, 16)), dist=0)
    fw.write_mala_cor(t("m.cor"), [(1, 59.3, 18.0), (5, 59.30001, 18.0)])
    pack("mala_cor", 2, 0, slurp(t("m.rad")) + b"\0" + slurp(t("m.cor")),
         slurp(t("m.rd3")))
    tr = rng.normal(size=(4, 16)).astype(np.float32)
    fw.write_segy(t("s.sgy"), tr, np.arange(4) * 0.1)
    pack("segy_be", 3, 0, b"", slurp(t("s.sgy")))
    fw.write_segy(t("s.sgy"), tr, np.arange(4) * 0.1, endian="little")
    pack("segy_le", 3, 0, b"", slurp(t("s.sgy")))
    fw.write_segy_struct(t("s.sgy"), tr, np.arange(4) * 0.1, order="<",
                         rev2=True, samples_field=0, ext_samples=16,
                         ext_interval=1e-4, order_constant=True)
    pack("segy_rev2", 3, 0, b"", slurp(t("s.sgy")))
