"""PyTorch recurrent modules as Maps with analytic, batched Jacobians.

:class:`TorchRNNMap` wraps ``nn.RNN`` (tanh or relu), ``nn.LSTM``, ``nn.GRU`` (any number of
layers) and the single-layer ``nn.RNNCell``, ``nn.LSTMCell``, ``nn.GRUCell`` as the driven map
h_t = F(h_{t−1}, x_t) that the module computes at one time step, using the module's own
parameters (read afresh at every call, so a map follows a module that is being trained).

Equations (PyTorch's, exactly; σ the logistic sigmoid, ⊙ elementwise; per layer, with x the
layer's input: the external x_t for layer 0 and the NEW hidden state h^{l−1}_t of the layer
below for layer l > 0)::

    RNN : h' = φ(W_ih x + b_ih + W_hh h + b_hh),         φ = tanh or relu
    LSTM: [i, f, g, o] = W_ih x + b_ih + W_hh h + b_hh  (gate order i, f, g, o)
          i, f, o = σ(·), g = tanh(·);  c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c')
    GRU : [r, z, n] gate order; r = σ(W_ir x + b_ir + W_hr h + b_hr), z likewise,
          n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));  h' = (1 − z) ⊙ n + z ⊙ h

Jacobians (D(v) = diag(v), U_* the rows of W_hh belonging to gate *, W_* those of W_ih)::

    RNN : ∂h'/∂h = D(φ'(a)) W_hh                         (relu'(0) = 0, autograd's convention)
    LSTM: ∂c'/∂h = D(g i(1−i)) U_i + D(c f(1−f)) U_f + D(i (1−g²)) U_g,   ∂c'/∂c = D(f)
          ∂h'/∂h = D(o (1−tanh²c')) ∂c'/∂h + D(tanh(c') o(1−o)) U_o,
          ∂h'/∂c = D(o (1−tanh²c') f)
    GRU : ∂h'/∂h = D(z) + D((h − n) z(1−z)) U_z
                   + D((1−z)(1−n²)) [D(r(1−r) (U_hn h + b_hn)) U_r + D(r) U_n]

and ∂·/∂x the same with W_* in place of U_* (for GRU the n-term has no D(r): W_in x is outside
the reset gate). Layers are stacked by the chain rule of Vogt, dissertation, eq. 2.6: for m < l,
∂s^l_t/∂s^m_{t−1} = ∂s^l_t/∂h^{l−1}_t · ∂h^{l−1}_t/∂s^m_{t−1}, so the Jacobian is block
lower-triangular (one batched matmul per layer).

Differences from Vogt, dissertation (Chapter 2 and Appendix C), found while deriving the above:

* The dissertation's LSTM Jacobian is ∂h_t/∂h_{t−1} only, with the cell state c_{t−1} held fixed —
  an approximation: c is part of the LSTM's state, and the exact tangent space is (h, c), of
  dimension 2·L·H. Here ``lstm_state="hc"`` (default) is exact; ``lstm_state="h"`` reproduces the
  dissertation's convention (it equals the h-rows/h-columns sub-block of the exact Jacobian).
* The dissertation writes the LSTM gates in the order (f, i, o, c); PyTorch stores them as (i, f,
  g, o) in ``weight_ih``/``weight_hh``. Its GRU equations follow PyTorch's convention
  (h' = z ⊙ h + (1 − z) ⊙ n, reset gate applied after W_hn h + b_hn), but Appendix C's
  ∂n_t/∂h_{t−1} drops the parentheses: the sech²(·) factor multiplies BOTH terms,
  sech²(y_1n + r ⊙ y_2n) ⊙ (∂r/∂h ⊙ y_2n + r ⊙ U_n) (Chapter 2's version is right), and
  Chapter 2 writes W_n ∘ x_t for the matrix product W_n x_t.
* The dissertation's multi-layer formula is stated for h only; for an LSTM the exact lower blocks
  also carry the c-rows of each layer (∂c^l_t/∂h^{l−1}_t), which are included here.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from neurodyn.systems._map import ModuleMap

__all__ = ["TorchRNNMap"]

_CELLS = (nn.RNNCell, nn.LSTMCell, nn.GRUCell)
_MODULES = (nn.RNN, nn.LSTM, nn.GRU)


class TorchRNNMap(ModuleMap):
    """A PyTorch recurrent module as the map h_t = F(h_{t−1}, x_t), with its exact Jacobian.

    State layout: the Map state is one flat vector per batch row, ``(B, n)``:

    * ``nn.RNN`` / ``nn.GRU`` (and cells): ``[h_0, h_1, …, h_{L−1}]`` (layer 0 first),
      ``n = L·H``;
    * ``nn.LSTM`` / ``nn.LSTMCell``: ``[h_0, c_0, h_1, c_1, …]``, ``n = 2·L·H``, whatever
      ``lstm_state`` is (the cell state must be carried to step correctly).

    ``lstm_state="hc"`` (default): the Jacobian is the exact ``(B, n, n)`` derivative over the
    whole (h, c) state, so a Lyapunov spectrum has 2·L·H exponents.

    ``lstm_state="h"``: **an approximation** (the convention of Vogt, dissertation):
    ``tangent_dim = L·H`` and :meth:`jacobian` returns only ∂h_t/∂h_{t−1} with every c_{t−1} held
    fixed (rows and columns of the h-parts, in the order ``[h_0, h_1, …]``). The cell state is part
    of the LSTM's state, so this tangent map is not the derivative of the map being iterated, and
    the exponents it gives are not the Lyapunov exponents of the LSTM; use it only to compare with
    work that uses that convention.

    Args:
        module: an ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` (unidirectional, any ``num_layers``,
            ``bias``, ``batch_first``), ``nn.RNNCell``, ``nn.LSTMCell`` or ``nn.GRUCell``.
        lstm_state: ``"hc"`` (exact) or ``"h"`` (the dissertation's convention; LSTM only).

    Attributes:
        dim: n (see the layout above). tangent_dim: k, the Jacobian's size.
        input_size, hidden_size, num_layers: the module's. dt: 1.0.
        h_index: ``LongTensor`` of the positions of the h-parts within the state (top layer
            last), so ``state[:, h_index]`` is ``[h_0, …, h_{L−1}]``.

    Raises:
        ValueError: for a bidirectional module, an LSTM with ``proj_size > 0``, a multi-layer
            module with ``dropout > 0`` in training mode, or a bad ``lstm_state``.
        TypeError: for a module that is not one of the six above.
    """

    dt: float = 1.0

    def __init__(self, module: nn.Module, *, lstm_state: str = "hc"):
        if isinstance(module, _CELLS):
            self.is_cell, self.num_layers = True, 1
        elif isinstance(module, _MODULES):
            self.is_cell, self.num_layers = False, int(module.num_layers)
            if module.bidirectional:
                raise ValueError(
                    "TorchRNNMap: a bidirectional RNN reads the sequence backwards too, so it is "
                    "not a causal map h_t = F(h_{t-1}, x_t); analyse each direction as its own "
                    "module."
                )
            if getattr(module, "proj_size", 0) > 0:
                raise ValueError(
                    f"TorchRNNMap: LSTMs with proj_size > 0 (here proj_size={module.proj_size}) "
                    "are not supported: the projected hidden state h = W_hr (o ⊙ tanh c) has a "
                    "different width from c. Use an LSTM without projection."
                )
        else:
            raise TypeError(
                f"TorchRNNMap: expected nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell or "
                f"nn.GRUCell, got {type(module).__name__}."
            )
        if isinstance(module, (nn.LSTM, nn.LSTMCell)):
            self.kind = "lstm"
        elif isinstance(module, (nn.GRU, nn.GRUCell)):
            self.kind = "gru"
        else:
            nonlin = module.nonlinearity
            if nonlin not in ("tanh", "relu"):  # pragma: no cover - torch validates this
                raise ValueError(f"TorchRNNMap: unknown RNN nonlinearity {nonlin!r}.")
            self.kind = "rnn_" + nonlin
        if lstm_state not in ("hc", "h"):
            raise ValueError(f"lstm_state must be 'hc' or 'h', got {lstm_state!r}.")
        if lstm_state == "h" and self.kind != "lstm":
            raise ValueError("lstm_state='h' applies to LSTMs only (this module has no c).")
        self.module = self._module = module
        self.lstm_state = lstm_state
        self.input_size = int(module.input_size)
        self.hidden_size = H = int(module.hidden_size)
        L = self.num_layers
        self._width = 2 * H if self.kind == "lstm" else H  # state width per layer
        self._twidth = H if self.kind != "lstm" or lstm_state == "h" else 2 * H  # tangent width
        self.dim = L * self._width
        self.tangent_dim = L * self._twidth
        self.h_index = torch.cat(
            [torch.arange(i * self._width, i * self._width + H) for i in range(L)]
        )
        self._check_mode()

    def __repr__(self) -> str:
        name = type(self.module).__name__
        extra = f", lstm_state={self.lstm_state!r}" if self.kind == "lstm" else ""
        return (
            f"TorchRNNMap({name}, input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"num_layers={self.num_layers}, dim={self.dim}{extra})"
        )

    # ----------------------------------------------------------------------------- helpers

    def _check_mode(self) -> None:
        m = self.module
        if not self.is_cell and m.dropout > 0 and m.training and self.num_layers > 1:
            raise ValueError(
                f"TorchRNNMap: the module has dropout={m.dropout} between layers and is in "
                "training mode, which makes each step random, not a map; call module.eval()."
            )

    def _params(self, layer: int, like: Tensor):
        m = self.module
        sfx = "" if self.is_cell else f"_l{layer}"
        out = []
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            p = getattr(m, name + sfx, None)
            if p is not None and (p.dtype != like.dtype or p.device != like.device):
                p = p.to(dtype=like.dtype, device=like.device)
            out.append(p)
        return out

    def _check(self, h: Tensor, x: Tensor | None) -> None:
        if x is None:
            raise ValueError(
                f"TorchRNNMap is driven: pass the input x of shape (B, {self.input_size})."
            )
        if h.dim() != 2 or h.shape[1] != self.dim:
            layout = "[h_0, c_0, h_1, c_1, …]" if self.kind == "lstm" else "[h_0, h_1, …]"
            raise ValueError(
                f"TorchRNNMap: expected a state of shape (B, n) with n = {self.dim} "
                f"(layout {layout}, hidden_size={self.hidden_size}, "
                f"num_layers={self.num_layers}), got {tuple(h.shape)}."
            )
        if x.dim() != 2 or x.shape[1] != self.input_size or x.shape[0] != h.shape[0]:
            raise ValueError(
                f"TorchRNNMap: expected an input x of shape ({h.shape[0]}, {self.input_size}), "
                f"got {tuple(x.shape)}."
            )

    # ----------------------------------------------------------------------------- layers
    # Each layer returns (new layer state, ∂s'/∂x or None) and, if blk is given, writes its
    # own ∂s'/∂s (tangent rows/columns) into blk, a (B, w_t, w_t) view of the full Jacobian.

    def _rnn_layer(self, x, s, p, blk, need_x):
        w_ih, w_hh, b_ih, b_hh = p
        a = F.linear(x, w_ih, b_ih) + F.linear(s, w_hh, b_hh)
        if self.kind == "rnn_tanh":
            s_new = torch.tanh(a)
            d = 1.0 - s_new * s_new if blk is not None else None
        else:
            s_new = torch.relu(a)
            d = (a > 0).to(a.dtype) if blk is not None else None
        if blk is None:
            return s_new, None
        blk.copy_(d.unsqueeze(2) * w_hh)
        return s_new, (d.unsqueeze(2) * w_ih if need_x else None)

    def _gru_layer(self, x, s, p, blk, need_x):
        H = self.hidden_size
        w_ih, w_hh, b_ih, b_hh = p
        gi = F.linear(x, w_ih, b_ih)
        gh = F.linear(s, w_hh, b_hh)
        i_r, i_z, i_n = gi.chunk(3, 1)
        h_r, h_z, h_n = gh.chunk(3, 1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        s_new = (1.0 - z) * n + z * s
        if blk is None:
            return s_new, None
        a = (1.0 - z) * (1.0 - n * n)
        s_r = a * h_n * r * (1.0 - r)
        s_z = (s - n) * z * (1.0 - z)
        scale = torch.stack([s_r, s_z, a * r], 1)  # (B, 3, H)
        blk.copy_(torch.einsum("bgk,gkj->bkj", scale, w_hh.view(3, H, H)))
        blk.diagonal(dim1=1, dim2=2).add_(z)
        if not need_x:
            return s_new, None
        scale_x = torch.stack([s_r, s_z, a], 1)
        return s_new, torch.einsum("bgk,gkj->bkj", scale_x, w_ih.view(3, H, -1))

    def _lstm_layer(self, x, s, p, blk, need_x):
        H = self.hidden_size
        w_ih, w_hh, b_ih, b_hh = p
        h, c = s[:, :H], s[:, H:]
        y = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)
        y_i, y_f, y_g, y_o = y.chunk(4, 1)
        i, f, g, o = torch.sigmoid(y_i), torch.sigmoid(y_f), torch.tanh(y_g), torch.sigmoid(y_o)
        c_new = f * c + i * g
        tc = torch.tanh(c_new)
        h_new = o * tc
        s_new = torch.cat([h_new, c_new], 1)
        if blk is None:
            return s_new, None
        oc = o * (1.0 - tc * tc)  # ∂h'/∂c'
        so = tc * o * (1.0 - o)  # ∂h'/∂y_o
        sc = torch.stack([g * i * (1.0 - i), c * f * (1.0 - f), i * (1.0 - g * g)], 1)
        exact = self.lstm_state == "hc"

        def through(w):  # [∂h'/∂v ; ∂c'/∂v] (hc) or ∂h'/∂v (h) for the gate weights w
            w4 = w.view(4, H, -1)
            if exact:
                dc = torch.einsum("bgk,gkj->bkj", sc, w4[:3])
                dh = oc.unsqueeze(2) * dc + so.unsqueeze(2) * w4[3]
                return dh, dc
            scale = torch.cat([oc.unsqueeze(1) * sc, so.unsqueeze(1)], 1)
            return torch.einsum("bgk,gkj->bkj", scale, w4), None

        if exact:
            if torch.is_grad_enabled() and (w_hh.requires_grad or sc.requires_grad):
                dh, dc = through(w_hh)  # autograd cannot follow the out= path below
                blk[:, :H, :H] = dh
                blk[:, H:, :H] = dc
            else:
                w4 = w_hh.view(4, H, H)
                dc, dh = blk[:, H:, :H], blk[:, :H, :H]
                # in place into J's blocks: Σ_g scale_g ⊙ W_g as broadcast multiply-adds
                # (an einsum here runs H tiny batched matmuls)
                torch.mul(sc[:, 0].unsqueeze(2), w4[0], out=dc)
                dc.addcmul_(sc[:, 1].unsqueeze(2), w4[1]).addcmul_(sc[:, 2].unsqueeze(2), w4[2])
                torch.mul(oc.unsqueeze(2), dc, out=dh)
                dh.addcmul_(so.unsqueeze(2), w4[3])
            blk[:, :, H:].zero_()
            blk[:, :H, H:].diagonal(dim1=1, dim2=2).copy_(oc * f)
            blk[:, H:, H:].diagonal(dim1=1, dim2=2).copy_(f)
        else:
            blk.copy_(through(w_hh)[0])
        if not need_x:
            return s_new, None
        dh, dc = through(w_ih)
        return s_new, (torch.cat([dh, dc], 1) if exact else dh)

    # ----------------------------------------------------------------------------- public

    def _forward(self, h: Tensor, x: Tensor | None, jac: bool, out: Tensor | None = None):
        self._check(h, x)
        self._check_mode()
        layer_fn = {"lstm": self._lstm_layer, "gru": self._gru_layer}.get(
            self.kind, self._rnn_layer
        )
        B, H, w, wt = h.shape[0], self.hidden_size, self._width, self._twidth
        k = self.tangent_dim
        J = None
        if jac:
            J = out if out is not None else h.new_empty(B, k, k)
            if out is not None and (out.shape != (B, k, k) or out.dtype != h.dtype):
                raise ValueError(f"out must be a ({B}, {k}, {k}) {h.dtype} tensor.")
        states, inp = [], x
        for layer in range(self.num_layers):
            r0 = layer * wt
            blk = J[:, r0 : r0 + wt, r0 : r0 + wt] if jac else None
            if jac:
                J[:, r0 : r0 + wt, r0 + wt :].zero_()  # no dependence on later layers
            s_new, dx = layer_fn(
                inp, h[:, layer * w : (layer + 1) * w], self._params(layer, h), blk, layer > 0
            )
            if jac and layer > 0:
                # eq. 2.6: rows of layer l, columns of layers < l, through h^{l−1}_t.
                below = J[:, r0 - wt : r0 - wt + H, :r0]
                if J.requires_grad:  # bmm saves `below` for backward; J is written on after
                    below = below.clone()
                J[:, r0 : r0 + wt, :r0] = torch.bmm(dx, below)
            states.append(s_new)
            inp = s_new[:, :H]
        return (states[0] if len(states) == 1 else torch.cat(states, 1)), J

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """The next state F(h, x), ``(B, n)``; ``x`` of shape ``(B, input_size)`` is required."""
        return self._forward(h, x, False)[0]

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """∂F/∂h at (h, x), ``(B, k, k)`` with k = ``tangent_dim`` (analytic, batched)."""
        return self._forward(h, x, True)[1]

    def step_and_jacobian(
        self, h: Tensor, x: Tensor | None = None, *, out: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """``(step(h, x), jacobian(h, x))`` computed from one evaluation of the gates.

        ``out``: a ``(B, k, k)`` buffer to write J into (returned as J). Reusing one buffer
        across steps avoids allocating — and first-touching — tens of MB per step.
        """
        return self._forward(h, x, True, out)

    def output(self, state: Tensor) -> Tensor:
        """The module's output at this step: the top layer's hidden state, ``(B, H)``."""
        start = (self.num_layers - 1) * self._width
        return state[..., start : start + self.hidden_size]

    def zero_state(self, batch: int, dtype=None, device=None) -> Tensor:
        """The zero state ``(batch, n)`` (torch's default h_0 = c_0 = 0); dtype and device
        default to the module's parameters'."""
        p = next(self.module.parameters())
        return torch.zeros(
            batch,
            self.dim,
            dtype=dtype or p.dtype,
            device=device if device is not None else p.device,
        )

    def state_from_torch(self, h_n: Tensor, c_n: Tensor | None = None) -> Tensor:
        """Torch's state → ``(B, n)``: ``h_n`` (and ``c_n`` for an LSTM) of shape
        ``(num_layers, B, H)``, or ``(B, H)`` for a cell (or a one-layer module)."""
        if self.kind == "lstm":
            if c_n is None:
                raise ValueError("state_from_torch: an LSTM state needs both h_n and c_n.")
        elif c_n is not None:
            raise ValueError("state_from_torch: this module has no cell state; pass h_n only.")
        parts = [h_n] if c_n is None else [h_n, c_n]
        L, H = self.num_layers, self.hidden_size
        for t in parts:
            if t.dim() == 2 and L == 1:
                continue
            if t.dim() != 3 or t.shape[0] != L or t.shape[2] != H:
                raise ValueError(
                    f"state_from_torch: expected tensors of shape ({L}, B, {H})"
                    + (f" or (B, {H})" if L == 1 else "")
                    + f", got {tuple(t.shape)}."
                )
        parts = [t.unsqueeze(0) if t.dim() == 2 else t for t in parts]
        st = torch.stack(parts, 2)  # (L, B, 1 or 2, H)
        return st.permute(1, 0, 2, 3).reshape(st.shape[1], self.dim)

    def state_to_torch(self, state: Tensor):
        """``(B, n)`` → torch's state: ``h_n``, or ``(h_n, c_n)`` for an LSTM, each
        ``(num_layers, B, H)`` for ``nn.RNN``/``nn.LSTM``/``nn.GRU`` and ``(B, H)`` for a cell
        (the shapes the module's forward accepts)."""
        if state.dim() != 2 or state.shape[1] != self.dim:
            raise ValueError(
                f"state_to_torch: expected a state of shape (B, n) with n = {self.dim}, "
                f"got {tuple(state.shape)}."
            )
        B, L, H = state.shape[0], self.num_layers, self.hidden_size
        st = state.reshape(B, L, self._width // H, H).permute(2, 1, 0, 3)  # (1|2, L, B, H)
        parts = [t[0] if self.is_cell else t for t in st.contiguous().unbind(0)]
        return parts[0] if len(parts) == 1 else (parts[0], parts[1])
