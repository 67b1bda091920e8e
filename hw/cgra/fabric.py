"""The whole CGRA: FUs, IDs, networks and the configuration scan chain (``CGRA``)."""

import re

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from .. import verilog as _verilog
from ..approx._common import check_choice, check_int
from ..ternary.shared import SharedModule
from .abu import ABU
from .alu import ALU
from .decoder import FU_TYPES, InstructionDecoder, check_width, instruction_width
from .iu import IU
from .lsu import LSU
from .mul import MUL, MUL_KINDS
from .network import SB_BITS, SIDES, SLOTS, SWITCHBOXES, ControlMux, SlotMux, Switchbox
from .rf import RF

__all__ = ["CGRA", "NETWORK_KINDS"]

#: Data-network kinds.
NETWORK_KINDS = ("crossbar", "mesh")

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: Cell offset (dx, dy) of the neighbour on side N, E, S, W.
_STEP = ((0, -1), (1, 0), (0, 1), (-1, 0))


def _fail(message, type_error=False):
    raise (TypeError if type_error else ValueError)(message)


def _get(d, key, where, kind):
    """``d[key]`` checked to be of ``kind`` (a type or tuple of types)."""
    if key not in d:
        _fail(f"{where}: missing key {key!r}")
    value = d[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        _fail(f"{where}: {key!r} must be {_KIND_NAMES.get(kind, kind)}, not {value!r}", True)
    return value


_KIND_NAMES = {int: "an integer", str: "a string", dict: "a dict", list: "a list",
               (list, tuple): "a list"}


def _read_fabric(fabric):
    """Validate the normalised fabric dict (``Fabric.to_dict()``); returns a plain record."""
    if not isinstance(fabric, dict):
        _fail(f"Fabric must be a dict (sim_models.cgra.fabric.Fabric.to_dict()), not "
              f"{fabric!r}", True)
    name = _get(fabric, "name", "Fabric", str)
    width = check_width(_get(fabric, "width", "Fabric", int))
    depth = _get(fabric, "imem_depth", "Fabric", int)
    if not 4 <= depth <= 1024 or depth & (depth - 1):
        _fail(f"Instruction memory depth (imem_depth) must be a power of two between 4 and "
              f"1024, not {depth!r}")
    net = _get(fabric, "network", "Fabric", dict)
    kind = check_choice("Network kind", _get(net, "kind", "Network", str), NETWORK_KINDS)
    network = {"kind": kind}
    if kind == "mesh":
        network["cols"] = check_int("Mesh cols", _get(net, "cols", "Network", int), 1, 16)
        network["rows"] = check_int("Mesh rows", _get(net, "rows", "Network", int), 1, 16)
        network["tracks"] = check_int("Mesh tracks", _get(net, "tracks", "Network", int), 1, 8)
        network["switchbox"] = check_choice(
            "Mesh switchbox", _get(net, "switchbox", "Network", str), SWITCHBOXES)

    fus, names = [], set()
    for i, f in enumerate(_get(fabric, "fu", "Fabric", (list, tuple))):
        if not isinstance(f, dict):
            _fail(f"FU {i} must be a dict, not {f!r}", True)
        fname = _get(f, "name", f"FU {i}", str)
        if not _NAME_RE.match(fname) or fname in names:
            _fail(f"FU {i}: name must be a unique identifier, not {fname!r}")
        names.add(fname)
        where = f"FU {fname!r}"
        ftype = check_choice(f"{where}: type", _get(f, "type", where, str), FU_TYPES)
        params = {}
        if ftype == "mul":
            params["kind"] = check_choice(f"{where}: MUL kind", _get(f, "kind", where, str),
                                          MUL_KINDS)
            for key in {"exact": (), "drum": ("k",), "roup": ("p", "r")}[params["kind"]]:
                params[key] = _get(f, key, where, int)
        elif ftype == "lsu":
            params["mem_bytes"] = _get(f, "mem_bytes", where, int)
        at = None
        if kind == "mesh":
            at = _get(f, "at", where, (list, tuple))
            cols, rows = network["cols"], network["rows"]
            if (len(at) != 2 or not all(isinstance(v, int) and not isinstance(v, bool)
                                        for v in at)
                    or not (0 <= at[0] < cols and 0 <= at[1] < rows)):
                _fail(f"{where}: at must be [x, y] with 0 <= x < {cols} and 0 <= y < {rows}, "
                      f"not {at!r}")
            at = (at[0], at[1])
            if any(g["at"] == at for g in fus):
                _fail(f"{where}: cell {list(at)} is taken twice")
        fus.append({"name": fname, "type": ftype, "params": params, "at": at})
    if not fus:
        _fail("Fabric: no FUs")
    abus = [f["name"] for f in fus if f["type"] == "abu"]
    if len(abus) != 1:
        _fail(f"A fabric must have exactly one FU of type 'abu', found {len(abus)}")

    types = {f["name"]: f["type"] for f in fus}
    ids, owner = [], {}
    for i, e in enumerate(_get(fabric, "id", "Fabric", (list, tuple))):
        if not isinstance(e, dict):
            _fail(f"ID {i} must be a dict, not {e!r}", True)
        iname = _get(e, "name", f"ID {i}", str)
        if not _NAME_RE.match(iname) or iname in names:
            _fail(f"ID {i}: name must be an identifier unique across FUs and IDs, "
                  f"not {iname!r}")
        names.add(iname)
        members = list(_get(e, "fus", f"ID {iname!r}", (list, tuple)))
        if not members:
            _fail(f"ID {iname!r} drives no FU")
        for fu in members:
            if fu not in types:
                _fail(f"ID {iname!r}: unknown FU {fu!r}")
            if fu in owner:
                _fail(f"FU {fu!r} is on two IDs: {owner[fu]!r} and {iname!r}")
            owner[fu] = iname
        itype = types[members[0]]
        if any(types[fu] != itype for fu in members):
            _fail(f"ID {iname!r} mixes FU types (all FUs of an ID have one type)")
        if itype == "abu" and len(members) != 1:
            _fail(f"ID {iname!r}: the ABU must be on an ID of its own")
        ids.append({"name": iname, "type": itype, "fus": tuple(members)})
    for f in fus:
        if f["name"] not in owner:
            _fail(f"FU {f['name']!r} is not on any ID")
    return {"name": name, "width": width, "imem_depth": depth, "network": network,
            "fus": fus, "ids": ids, "owner": owner}


def _layout(fab):
    """The configuration fields ``(name, offset, width)`` of docs/cgra.md, in order."""
    fields = []
    fus, net = fab["fus"], fab["network"]
    for f in fus:
        n = sum(1 for d in fab["ids"] if d["type"] == f["type"])
        fields.append((f"ctrl.{f['name']}", ceil_log2(n)))
    if net["kind"] == "crossbar":
        slot_bits = ceil_log2(2 * len(fus) + 1)
    else:
        slot_bits = ceil_log2(4 * net["tracks"] + 3)
    for f in fus:
        if f["type"] != "iu":
            for i in (0, 1):
                for k in range(SLOTS):
                    fields.append((f"in.{f['name']}.{i}.{k}", slot_bits))
    if net["kind"] == "mesh":
        for y in range(net["rows"]):
            for x in range(net["cols"]):
                for s, side in enumerate(SIDES):
                    if _neighbour(net, x, y, s) is not None:
                        for t in range(net["tracks"]):
                            fields.append((f"sb.{x}.{y}.{side}.{t}", SB_BITS))
    out, offset = [], 0
    for name, width in fields:
        if width:
            out.append((name, offset, width))
            offset += width
    return out


_TIME_ZERO_DUMMY = re.compile(
    r"^(\s*)reg (\\\$auto\$verilog_backend\.cc:\d+:dump_module\$\d+ ) = 0;$", re.MULTILINE)


def _trigger_at_time_zero(text):
    """Add ``initial #0 <dummy> = 1'h1;`` after every Yosys time-0 dummy register."""
    return _TIME_ZERO_DUMMY.sub(
        lambda m: f"{m.group(0)}\n{m.group(1)}initial #0 {m.group(2)} = 1'h1;", text)


def _neighbour(net, x, y, side):
    dx, dy = _STEP[side]
    nx, ny = x + dx, y + dy
    if 0 <= nx < net["cols"] and 0 <= ny < net["rows"]:
        return nx, ny
    return None


class CGRA(wiring.Component):
    """An R-Blocks-style CGRA generated from a fabric description (docs/cgra.md).

    The fabric is the normalised dict of ``sim_models.cgra.fabric.Fabric.to_dict()`` (keys
    ``name``, ``width``, ``imem_depth``, ``network``, ``fu``, ``id``; every default filled in,
    every mesh FU with its ``at``); it is validated again here, as far as the hardware needs.

    Structure: one FU generator per FU (:class:`~hw.cgra.alu.ALU`, :class:`~hw.cgra.mul.MUL`,
    :class:`~hw.cgra.lsu.LSU`, :class:`~hw.cgra.rf.RF`, :class:`~hw.cgra.iu.IU`,
    :class:`~hw.cgra.abu.ABU`), one :class:`~hw.cgra.decoder.InstructionDecoder` per ID (its
    instruction memory of ``imem_depth`` words of its type's width), a
    :class:`~hw.cgra.network.ControlMux` per FU (``ctrl.<fu>``), a
    :class:`~hw.cgra.network.SlotMux` per FU input (``in.<fu>.<i>.<k>``; IUs have none) and,
    on a mesh, a :class:`~hw.cgra.network.Switchbox` per cell (``sb.<x>.<y>.<side>.<t>``). The
    configuration is one scan-chain register of :attr:`config_length` bits whose fields are
    :attr:`config_layout`. Submodule names derive from the FU, ID and cell names, so the
    Verilog is a function of the fabric only.

    Configuration: while ``cfg_shift`` is high, every edge shifts ``cfg_in`` in at the top of
    the register and everything down by one bit; after :attr:`config_length` shifts the first
    bit shifted is at offset 0 (shift bit 0 of the bitstream first). The configuration takes
    effect immediately; shift only while idle.

    Instruction memories: ``imem_we`` writes the low bits of ``imem_data`` at ``imem_addr`` of
    ID number ``imem_id`` (listing order) at the edge (write while idle). An ``imem_id`` out
    of range writes nothing.

    Host memory port (while idle, ``busy`` low): ``mem_we`` writes ``mem_wdata`` to word
    ``mem_addr`` (taken modulo the scratchpad's words) of LSU number ``mem_lsu`` (index among
    the LSUs, listing order) at the edge; ``mem_rdata`` is the word at the ``mem_addr`` of
    ``mem_lsu`` of the previous cycle (one cycle after; a write in that cycle: the old word).

    Run timing (start-up latency 3). ``start`` high while idle is accepted at edge ``E0`` (the
    edge at the end of its cycle): the PC, every FU output, the loop counter and the link
    become 0, ``busy`` becomes 1, ``done`` 0. Row 0 is fetched in the cycle after ``E0``,
    decoded after ``E1`` and executed after ``E2``; from then on one row executes per cycle,
    the rows in program order with the two branch delay slots of docs/cgra.md. After the edge
    ending the cycle that executes a row (``E3`` for the first row), ``exec_valid`` is high
    for one cycle with ``exec_pc`` = the row's address and ``fu_out`` = every FU output after
    that row: the ``n``-th executed row (``n`` from 0) is reported after edge ``E(3 + n)``.
    The ``halt`` row is reported too, and after the same edge ``busy`` is low and ``done``
    high (``done`` stays high until the next accepted ``start``). So a run of ``C`` cycles
    (docs/cgra.md) shows ``exec_valid`` in ``C`` consecutive cycles, the last one also with
    ``busy`` low and ``done`` high; ``start`` is ignored while busy.

    Verilog: :meth:`to_verilog` (a mesh has combinational loops through its switchboxes in the
    netlist, so :func:`amaranth.back.verilog.convert` does not take it directly; the Amaranth
    simulator does). A switchbox configuration that closes a loop of wires is illegal (the
    golden model reads 0 on it; the hardware would hold a combinational loop); the router
    never produces one.

    Parameters
    ----------
    fabric : :class:`dict`
        The normalised fabric description.

    Members
    -------
    cfg_in, cfg_shift : :py:`In(1)`
        Scan chain.
    imem_we, imem_id, imem_addr, imem_data : :py:`In(1)`, :py:`In(max(1, clog2(nID)))`,
        :py:`In(P)`, :py:`In(instruction_width)`
        Instruction-memory write.
    mem_we, mem_lsu, mem_addr, mem_wdata : :py:`In(1)`, :py:`In(max(1, clog2(nLSU)))`,
        :py:`In(max(1, max word-address bits))`, :py:`In(W)`
        Host word access to the LSU scratchpads.
    mem_rdata : :py:`Out(W)`
        Word read, one cycle after.
    start : :py:`In(1)`
        Start a run.
    busy, done : :py:`Out(1)`
        Running; the last run ended with ``halt``.
    exec_valid, exec_pc : :py:`Out(1)`, :py:`Out(P)`
        A row executed in the previous cycle, and its address.
    fu_out : :py:`Out(data.ArrayLayout(W, 2 * nFU))`
        Every FU's ``out0`` (index ``2*f``) and ``out1`` (``2*f + 1``).

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If the fabric description is invalid (the message names the key, FU or ID).
    """

    def __init__(self, fabric):
        fab = _read_fabric(fabric)
        self._fab = fab
        self._shared = False  # switchboxes as shared-module instances (only in to_verilog)
        self._sb_modules = {}
        w, pc_bits = fab["width"], ceil_log2(fab["imem_depth"])
        self._pc_bits = pc_bits
        # the FUs' own parameter checks now (the FUs are built when elaborating)
        addr_bits = {f["name"]: self._check_fu(f, w) for f in fab["fus"]}
        self._lsus = [i for i, f in enumerate(fab["fus"]) if f["type"] == "lsu"]
        self._layout = _layout(fab)
        self._config_length = sum(width for _, _, width in self._layout)
        self._iwidth = max(instruction_width(d["type"], w, pc_bits) for d in fab["ids"])
        mem_addr_bits = max([addr_bits[fab["fus"][i]["name"]] for i in self._lsus], default=1)
        super().__init__({
            "cfg_in": In(1),
            "cfg_shift": In(1),
            "imem_we": In(1),
            "imem_id": In(max(1, ceil_log2(len(fab["ids"])))),
            "imem_addr": In(pc_bits),
            "imem_data": In(self._iwidth),
            "mem_we": In(1),
            "mem_lsu": In(max(1, ceil_log2(len(self._lsus)))),
            "mem_addr": In(max(1, mem_addr_bits)),
            "mem_wdata": In(w),
            "mem_rdata": Out(w),
            "start": In(1),
            "busy": Out(1),
            "done": Out(1),
            "exec_valid": Out(1),
            "exec_pc": Out(pc_bits),
            "fu_out": Out(data.ArrayLayout(w, 2 * len(fab["fus"]))),
        })

    @staticmethod
    def _check_fu(f, width):
        """Check the parameters of FU ``f``; returns an LSU's word-address width (else 0)."""
        p = f["params"]
        try:
            if f["type"] == "mul":
                MUL.check_parameters(width, p["kind"],
                                     **{k: v for k, v in p.items() if k != "kind"})
            elif f["type"] == "lsu":
                return LSU.check_parameters(width, p["mem_bytes"])
        except (TypeError, ValueError) as error:
            raise type(error)(f"FU {f['name']!r}: {error}") from None
        return 0

    @staticmethod
    def _make_fu(f, width, pc_bits):
        p = f["params"]
        if f["type"] == "alu":
            return ALU(width)
        if f["type"] == "mul":
            return MUL(width, p["kind"], **{k: v for k, v in p.items() if k != "kind"})
        if f["type"] == "lsu":
            return LSU(width, p["mem_bytes"])
        if f["type"] == "rf":
            return RF(width)
        if f["type"] == "iu":
            return IU(width)
        return ABU(width, pc_bits)

    # -- properties

    name = property(lambda self: self._fab["name"], doc="Fabric name.")
    width = property(lambda self: self._fab["width"], doc="Data width ``W``.")
    imem_depth = property(lambda self: self._fab["imem_depth"], doc="Instruction-memory rows.")
    pc_bits = property(lambda self: self._pc_bits, doc="``P = log2(imem_depth)``.")
    instruction_width = property(lambda self: self._iwidth,
                                 doc="Width of ``imem_data``: the widest instruction type.")
    config_length = property(lambda self: self._config_length,
                             doc="Length of the configuration scan chain in bits.")
    fu_names = property(lambda self: tuple(f["name"] for f in self._fab["fus"]),
                        doc="FU names in listing order (the FU index of ``fu_out``).")
    id_names = property(lambda self: tuple(d["name"] for d in self._fab["ids"]),
                        doc="ID names in listing order (the value of ``imem_id``).")
    lsu_names = property(lambda self: tuple(self._fab["fus"][i]["name"] for i in self._lsus),
                         doc="LSU names in listing order (the value of ``mem_lsu``).")
    start_latency = property(lambda self: 3, doc="Edges from the start edge to the edge "
                             "ending the execution of row 0.")

    @property
    def config_layout(self):
        """The configuration fields as a list of ``(name, offset, width)`` (docs/cgra.md;
        equal to ``sim_models.cgra.config.layout``)."""
        return list(self._layout)

    @property
    def module_name(self):
        """A Verilog module name derived from the fabric name."""
        return "cgra_" + re.sub(r"[^A-Za-z0-9_]", "_", self._fab["name"])

    # -- elaboration

    def elaborate(self, platform):
        m = Module()
        fab = self._fab
        w = fab["width"]
        fus, ids, net = fab["fus"], fab["ids"], fab["network"]

        # configuration scan chain
        config = Signal(max(1, self._config_length), name="config")
        with m.If(self.cfg_shift):
            m.d.sync += config.eq(Cat(config[1:], self.cfg_in) if self._config_length > 1
                                  else self.cfg_in)
        field = {name: config[offset:offset + width] for name, offset, width in self._layout}

        # FUs
        units = [self._make_fu(f, w, self._pc_bits) for f in fus]
        for f, unit in zip(fus, units, strict=True):
            m.submodules[f"fu_{f['name']}"] = unit
        for i, unit in enumerate(units):
            m.d.comb += [self.fu_out[2 * i].eq(unit.out0), self.fu_out[2 * i + 1].eq(unit.out1)]
        abu = units[next(i for i, f in enumerate(fus) if f["type"] == "abu")]
        m.d.comb += [
            abu.start.eq(self.start), self.busy.eq(abu.busy), self.done.eq(abu.done),
            self.exec_valid.eq(abu.exec_valid), self.exec_pc.eq(abu.exec_pc),
        ]
        clear = Signal()
        m.d.comb += clear.eq(self.start & ~abu.busy)
        for unit in units:
            if unit is not abu:
                m.d.comb += unit.clear.eq(clear)

        # IDs
        decoders = []
        for k, d in enumerate(ids):
            dec = InstructionDecoder(instruction_width(d["type"], w, self._pc_bits),
                                     fab["imem_depth"])
            m.submodules[f"id_{d['name']}"] = dec
            m.d.comb += [
                dec.we.eq(self.imem_we & (self.imem_id == k)), dec.waddr.eq(self.imem_addr),
                dec.wdata.eq(self.imem_data[:dec.width]), dec.pc.eq(abu.pc),
                dec.issue.eq(abu.issue),
            ]
            decoders.append(dec)

        # control network
        for f, unit in zip(fus, units, strict=True):
            of_type = [decoders[k] for k, d in enumerate(ids) if d["type"] == f["type"]]
            ctrl = ControlMux(unit.instruction_width, len(of_type))
            m.submodules[f"ctrl_{f['name']}"] = ctrl
            m.d.comb += [ctrl.instrs[k].eq(dec.instr) for k, dec in enumerate(of_type)]
            if len(of_type) > 1:
                m.d.comb += ctrl.sel.eq(field[f"ctrl.{f['name']}"])
            m.d.comb += unit.instr.eq(ctrl.instr)

        # data network
        outputs = [out for unit in units for out in (unit.out0, unit.out1)]
        if net["kind"] == "mesh":
            cell_in = self._mesh(m, field, units)
        for f, unit in zip(fus, units, strict=True):
            if f["type"] == "iu":
                continue
            if net["kind"] == "crossbar":
                sources = outputs
            else:
                sources = [*cell_in[f["at"]], unit.out0, unit.out1]
            for i, (port, sel) in enumerate(((unit.in0, unit.instr.sel0),
                                             (unit.in1, unit.instr.sel1))):
                mux = SlotMux(w, len(sources))
                m.submodules[f"in_{f['name']}_{i}"] = mux
                m.d.comb += [mux.sources[j].eq(src) for j, src in enumerate(sources)]
                m.d.comb += [mux.slots[k].eq(field[f"in.{f['name']}.{i}.{k}"])
                             for k in range(SLOTS)]
                m.d.comb += [mux.sel.eq(sel), port.eq(mux.value)]

        # LSU host ports
        lsus = [units[i] for i in self._lsus]
        lsu_sel = Signal.like(self.mem_lsu, name="mem_lsu_q")
        m.d.sync += lsu_sel.eq(self.mem_lsu)
        for j, lsu in enumerate(lsus):
            m.d.comb += [
                lsu.idle.eq(~abu.busy), lsu.host_we.eq(self.mem_we & (self.mem_lsu == j)),
                lsu.host_addr.eq(self.mem_addr[:lsu.addr_bits]), lsu.host_wdata.eq(self.mem_wdata),
            ]
        rdata = 0
        for j, lsu in enumerate(lsus):
            rdata = Mux(lsu_sel == j, lsu.host_rdata, rdata)
        m.d.comb += self.mem_rdata.eq(rdata)
        return m

    def to_verilog(self, name=None):
        """Verilog of the fabric as module ``name`` (default :attr:`module_name`).

        On a mesh the switchboxes form combinational loops in the netlist (legal
        configurations never close one), which Amaranth's netlist builder rejects, so
        :func:`amaranth.back.verilog.convert` cannot take a mesh :class:`CGRA` directly (the
        simulator can). This method converts it with each distinct switchbox (by its
        neighbours and whether its cell holds an FU) as one module,
        ``cgra_sb_w<W>_t<T>_<kind>_<sides>_<fu|empty>`` (:class:`hw.ternary.SharedModule`),
        instantiated per cell, written with the top module in one :func:`hw.verilog.convert`
        run (the ``top`` attribute on module ``name`` only). A crossbar is converted as it is.
        Deterministic: the text depends only on the fabric and ``name``.

        Event-driven simulators in SystemVerilog mode (Icarus ``-g2012``, as cocotb runs it)
        do not run an ``always @*`` block at time 0 unless one of its inputs changes; Yosys
        makes every such block read a dummy register initialised to 0 for that purpose, which
        only works in Verilog-2005 mode. Without it a decoder whose instruction stays 0 from
        time 0 (nop) would hold ``x``. The text therefore also sets each dummy register to 1
        in an ``initial #0`` statement, which triggers every combinational block once at time
        0 (no effect on synthesis or on the logic).
        """
        self._shared, self._sb_modules = True, {}
        try:
            name = name or self.module_name
            top = _verilog.to_rtlil(self, name)
        finally:
            self._shared = False
        shared = [self._sb_modules[key].rtlil for key in sorted(self._sb_modules)]
        self._sb_modules = {}
        return _trigger_at_time_zero(_verilog.convert_rtlil([*shared, top], name))

    def _switchbox(self, cell, sides, has_fu):
        """A switchbox: a submodule, or (``shared``) an instance of its shared module."""
        net = self._fab["network"]
        T, w, kind = net["tracks"], self._fab["width"], net["switchbox"]
        if not self._shared:
            box = Switchbox(w, T, kind, sides, has_fu)
            return box, box
        key = (sides, has_fu)
        if key not in self._sb_modules:
            box = Switchbox(w, T, kind, sides, has_fu)
            letters = "".join(side for side, present in zip(SIDES, sides, strict=True)
                              if present)
            name = f"cgra_sb_w{w}_t{T}_{kind}_{letters}_{'fu' if has_fu else 'empty'}"
            self._sb_modules[key] = SharedModule(box, name)
        return self._sb_modules[key].instance(name=cell)

    def _mesh(self, m, field, units):
        """Switchboxes of every cell; returns ``{(x, y): [incoming wires, 4*T]}``."""
        net = self._fab["network"]
        T = net["tracks"]
        at = {f["at"]: unit for f, unit in zip(self._fab["fus"], units, strict=True)}
        boxes = {}
        for y in range(net["rows"]):
            for x in range(net["cols"]):
                sides = tuple(_neighbour(net, x, y, s) is not None for s in range(4))
                cell, box = self._switchbox(f"sb_{x}_{y}", sides, (x, y) in at)
                m.submodules[f"sb_{x}_{y}"] = cell
                boxes[x, y] = box
                unit = at.get((x, y))
                if unit is not None:
                    m.d.comb += [box.fu_out[0].eq(unit.out0), box.fu_out[1].eq(unit.out1)]
                for s, side in enumerate(SIDES):
                    if sides[s]:
                        m.d.comb += [box.cfg[T * s + t].eq(field[f"sb.{x}.{y}.{side}.{t}"])
                                     for t in range(T)]
        cell_in = {}
        for (x, y), box in boxes.items():
            wires = []
            for s in range(4):
                nb = _neighbour(net, x, y, s)
                for t in range(T):
                    if nb is None:
                        wires.append(0)
                    else:
                        wire = boxes[nb].wire_out[T * ((s + 2) % 4) + t]
                        m.d.comb += box.wire_in[T * s + t].eq(wire)
                        wires.append(wire)
            cell_in[x, y] = wires
        return cell_in
