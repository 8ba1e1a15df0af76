#!/usr/bin/python3
# Writes the small seed inputs of fuzz_model_file and fuzz_pth_import (torch.save zip archives)
# (hostile_*: pickles that would run a shell command if Python unpickled them). Needs Debian's
# python3-torch:  /usr/bin/python3 tests/fuzz/make_torch_seeds.py
# The seeds are committed; rerun only to change them.
import io, json, os, pickle, zipfile
import torch

here = os.path.dirname(os.path.abspath(__file__))
def out(sub, name, data):
    d = os.path.join(here, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def saved(obj):
    b = io.BytesIO()
    torch.save(obj, b)
    return b.getvalue()

torch.manual_seed(1)
meta = {"arch": "squeezenet1_1", "input_size": 224, "mean": [0.485, 0.456, 0.406],
        "std": [0.229, 0.224, 0.225], "class_names": ["ok", "ng"], "threshold": 0.5,
        "init": "scratch", "steps": 0, "train_config": None, "data_hash": "", "metrics": None,
        "created_at": "2026-01-01T00:00:00Z", "kizu_version": "0.1.0",
        "weights_sha256": "0" * 64}
state = {"classifier.1.weight": torch.randn(2, 4, 1, 1), "classifier.1.bias": torch.zeros(2)}
out("corpus/model_file", "small_kizu.kizumodel",
    saved({"kizu_format": 1, "meta": json.dumps(meta), "state": state}))
out("corpus/model_file", "newer_format.kizumodel",
    saved({"kizu_format": 99, "meta": "{}", "state": {}}))
out("corpus/model_file", "meta_not_json.kizumodel",
    saved({"kizu_format": 1, "meta": "{not json", "state": state}))
out("corpus/model_file", "state_not_tensors.kizumodel",
    saved({"kizu_format": 1, "meta": json.dumps(meta), "state": {"a": 1, "b": "x"}}))
out("corpus/model_file", "plain_weights.pth", saved(state))

out("corpus/pth_import", "small_state_dict.pth", saved(state))
out("corpus/pth_import", "wrapped_state_dict.pth", saved({"state_dict": state, "epoch": 3}))
out("corpus/pth_import", "module_prefix.pth",
    saved({"module." + k: v for k, v in state.items()}))
out("corpus/pth_import", "not_a_tensor.pth", saved({"features.0.weight": [1, 2, 3]}))
out("corpus/pth_import", "int_tensor.pth", saved({"classifier.1.bias": torch.arange(2)}))
legacy = io.BytesIO()
torch.save(state, legacy, _use_new_zipfile_serialization=False)
out("corpus/pth_import", "legacy_format.pth", legacy.getvalue())

# A pickle that would run a shell command when unpickled by Python (pickle's __reduce__).
# Kizu must refuse it and never run it: the marker file must not appear.
class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/kizu_pickle_executed",))
evil = saved({"classifier.1.weight": Evil()})
out("corpus/pth_import", "hostile_reduce_os_system.pth", evil)
out("corpus/model_file", "hostile_reduce_os_system.kizumodel",
    saved({"kizu_format": 1, "meta": json.dumps(meta), "state": {"x": Evil()}}))
# The same archive with its data.pkl replaced by a raw GLOBAL/REDUCE pickle.
buf = io.BytesIO()
with zipfile.ZipFile(io.BytesIO(evil)) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename.endswith("data.pkl"):
            data = b"cposix\nsystem\n(S'touch /tmp/kizu_pickle_executed'\ntR."
        zout.writestr(item, data)
out("corpus/pth_import", "hostile_raw_global_reduce.pth", buf.getvalue())

# Allocation bombs for LibTorch's zip reader and unpickler (regressions/, see
# core/learn/archive_check.h): a memo index of four billion, a string claiming 3 GB, and a zip
# data.pkl stored compressed (torch.save never does). Each must be refused before LibTorch allocates.
def patched_pickle(new_pkl, compress=False):
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved(state))) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith("data.pkl"):
                data = new_pkl
            zout.writestr(item.filename, data, zipfile.ZIP_DEFLATED if compress and item.filename.endswith("data.pkl") else zipfile.ZIP_STORED)
    return buf.getvalue()
out("regressions/pth_import", "memo_index_4g.pth", patched_pickle(b"\x80\x02}r\xf0\xff\xff\xff."))
out("regressions/pth_import", "binunicode_3gb.pth", patched_pickle(b"\x80\x02X\x00\x00\x00\xb0abc."))
out("regressions/pth_import", "deflated_data_pkl.pth", patched_pickle(b"\x80\x02}q\x00." + b"\x00" * 4096, compress=True))
