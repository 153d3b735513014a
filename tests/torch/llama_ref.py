"""llama_ref.py -- the SQLPilot model written independently in PyTorch.

Used by the trainer's reference test (tests/torch/check_grads.py) and by the
training benchmark (bench/bench_train.py).  Parameters are one flat tensor in
the canonical order of core/model.h; a batch is the trainer's packed layout
(inputs, targets, weights, pos, kstart per row, B sequences of T rows); a
schema-packed batch adds a visible prefix [pre_lo, pre_hi) per row: a
statement row sees its schema's rows and its own statement's rows up to itself.
"""
import math
import struct

import numpy as np
import torch


class Config:
    def __init__(self, dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
                 seq_len=512, tied=1, rope_theta=10000.0, norm_eps=1e-5):
        self.dim, self.hidden_dim, self.n_layers = dim, hidden_dim, n_layers
        self.n_heads, self.n_kv_heads, self.vocab_size = n_heads, n_kv_heads, vocab_size
        self.seq_len, self.tied = seq_len, tied
        self.rope_theta, self.norm_eps = rope_theta, norm_eps


PRESETS = {
    "260K": (64, 172, 5, 8, 4),
    "15M": (288, 768, 6, 6, 6),
    "42M": (512, 1376, 8, 8, 8),
}


def preset(name):
    return Config(*PRESETS[name], vocab_size=512)


def tensor_shapes(c):
    """(name, shape) of every tensor in canonical order."""
    C, H, L, V = c.dim, c.hidden_dim, c.n_layers, c.vocab_size
    HS = C // c.n_heads
    QD, KVD = c.n_heads * HS, c.n_kv_heads * HS
    s = [("token_embedding", (V, C)), ("rms_att", (L, C)), ("wq", (L, QD, C)),
         ("wk", (L, KVD, C)), ("wv", (L, KVD, C)), ("wo", (L, C, QD)),
         ("rms_ffn", (L, C)), ("w1", (L, H, C)), ("w2", (L, C, H)), ("w3", (L, H, C)),
         ("rms_final", (C,))]
    if not c.tied:
        s.append(("wcls", (V, C)))
    return s


def param_count(c):
    return sum(int(np.prod(s)) for _, s in tensor_shapes(c))


def split_params(c, flat):
    """Views of a flat parameter tensor, by name."""
    out, off = {}, 0
    for name, shape in tensor_shapes(c):
        n = int(np.prod(shape))
        out[name] = flat[off:off + n].view(shape)
        off += n
    return out


def rmsnorm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, pos, theta):
    """x (B, T, nh, HS); rotates interleaved pairs by pos * theta^(-2i/HS)."""
    HS = x.shape[-1]
    freqs = 1.0 / theta ** (torch.arange(0, HS, 2, dtype=torch.float64) / HS)
    ang = pos.to(torch.float64)[..., None] * freqs          # (B, T, HS/2)
    cos = torch.cos(ang).to(x.dtype)[:, :, None, :]
    sin = torch.sin(ang).to(x.dtype)[:, :, None, :]
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


def hidden_states(c, p, inputs, pos, kstart, prefix=None):
    """Final normed hidden states (B, T, C) of a packed batch; p from split_params.
    prefix: None or (pre_lo, pre_hi), rows [pre_lo, pre_hi) each row also sees."""
    B, T = inputs.shape
    C, NH, NKV = c.dim, c.n_heads, c.n_kv_heads
    HS = C // NH
    x = p["token_embedding"][inputs]                       # (B, T, C)
    t = torch.arange(T)
    mask = (t[None, None, :] <= t[None, :, None]) & (t[None, None, :] >= kstart[:, :, None])
    if prefix is not None:
        lo, hi = prefix
        mask = mask | ((t[None, None, :] >= lo[:, :, None]) & (t[None, None, :] < hi[:, :, None]))
    bias = torch.zeros(mask.shape, dtype=x.dtype).masked_fill(~mask, float("-inf"))
    for l in range(c.n_layers):
        h = rmsnorm(x, p["rms_att"][l], c.norm_eps)
        q = (h @ p["wq"][l].T).view(B, T, NH, HS)
        k = (h @ p["wk"][l].T).view(B, T, NKV, HS)
        v = (h @ p["wv"][l].T).view(B, T, NKV, HS)
        q, k = rope(q, pos, c.rope_theta), rope(k, pos, c.rope_theta)
        rep = NH // NKV
        k = k.repeat_interleave(rep, dim=2)
        v = v.repeat_interleave(rep, dim=2)
        q, k, v = (z.transpose(1, 2) for z in (q, k, v))   # (B, NH, T, HS)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(HS) + bias[:, None]
        y = torch.softmax(att, dim=-1) @ v
        x = x + y.transpose(1, 2).reshape(B, T, C) @ p["wo"][l].T
        h = rmsnorm(x, p["rms_ffn"][l], c.norm_eps)
        g = h @ p["w1"][l].T
        x = x + (torch.nn.functional.silu(g) * (h @ p["w3"][l].T)) @ p["w2"][l].T
    return rmsnorm(x, p["rms_final"], c.norm_eps)


def forward_loss(c, flat, inputs, targets, weights, pos, kstart, prefix=None):
    """Weighted mean cross-entropy of a packed batch; all batch tensors are (B, T)."""
    p = split_params(c, flat)
    h = hidden_states(c, p, inputs, pos, kstart, prefix)
    wcls = p["token_embedding"] if c.tied else p["wcls"]
    sel = weights.reshape(-1) > 0
    logits = h.reshape(-1, c.dim)[sel] @ wcls.T
    nll = torch.nn.functional.cross_entropy(logits, targets.reshape(-1)[sel], reduction="none")
    w = weights.reshape(-1)[sel]
    return (w * nll).sum() / w.sum()


def read_case(path, with_prefix=False):
    """Reads the case file written by tests/test_train_net.c (format there); with
    with_prefix also the rows' visible prefixes (pre_lo, pre_hi) after the grads,
    None when the file has none."""
    with open(path, "rb") as f:
        data = f.read()
    ints = struct.unpack_from("<9i", data, 0)
    theta, eps = struct.unpack_from("<2f", data, 36)
    dim, hidden, L, NH, NKV, V, tied, B, T = ints
    c = Config(dim, hidden, L, NH, NKV, V, T, tied, theta, eps)
    off = 44
    n = param_count(c)
    N = B * T

    def take(dtype, count):
        nonlocal off
        a = np.frombuffer(data, dtype=dtype, count=count, offset=off)
        off += a.nbytes
        return a

    params = take("<f4", n)
    inputs = take("<i4", N).reshape(B, T)
    targets = take("<i4", N).reshape(B, T)
    weights = take("<f4", N).reshape(B, T)
    pos = take("<i4", N).reshape(B, T)
    kstart = take("<i4", N).reshape(B, T)
    if off == len(data):
        return c, params, (inputs, targets, weights, pos, kstart), None, None
    loss = take("<f4", 1)[0]
    grads = take("<f4", n)
    if not with_prefix:
        return c, params, (inputs, targets, weights, pos, kstart), loss, grads
    prefix = None
    if off < len(data):
        prefix = (take("<i4", N).reshape(B, T), take("<i4", N).reshape(B, T))
    return c, params, (inputs, targets, weights, pos, kstart), loss, grads, prefix
