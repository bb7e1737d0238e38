"""Lists dependency cycles between the modules of each crate given (default: every workspace
crate), at every level of nesting, so that dependencies inside a crate point one way.

A module is a file under <crate>/src; it depends on every module that its code (comments and
its #[cfg(test)] module left out) names through `crate::` or `super::` paths. A module's use of
its own ancestors (a child reaching its parent through `super::`) is not an edge: the parent
declares the child, and cycles are looked for between siblings and cousins.
Exits 1 when any crate has a cycle. Usage: python3 scripts/module-cycles.py [crate ...]"""
import os, re, sys
def modules(crate):
    src = os.path.join(crate, 'src'); out = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith('.rs'): continue
            p = os.path.join(root, f); rel = os.path.relpath(p, src)[:-3].split('/')
            if rel[-1] in ('mod', 'lib', 'main'): rel = rel[:-1]
            text = open(p).read()
            # drop comments and the cfg(test) module
            text = re.sub(r'//[^\n]*', '', text)
            text = text.split('#[cfg(test)]\nmod tests')[0]
            out[tuple(rel)] = text
    return out
def resolve(mods, path):
    while path and path not in mods: path = path[:-1]
    return path
def graph(mods):
    g = {m: set() for m in mods}
    for m, text in mods.items():
        for hit in re.finditer(r'\b(crate|super)((?:::\w+)+)', text):
            parts = hit.group(2).split('::')[1:]
            base = () if hit.group(1) == 'crate' else m[:-1]
            if hit.group(1) == 'super':
                while parts and parts[0] == 'super': base = base[:-1]; parts = parts[1:]
            # use super::{a, b}: handle braces
            target = resolve(mods, base + tuple(parts))
            if target != m and target and not (m[:len(target)] == target): g[m].add(target)
        for hit in re.finditer(r'\b(crate|super)::\{([^}]*)\}', text):
            base = () if hit.group(1) == 'crate' else m[:-1]
            for name in re.findall(r'(\w+)', hit.group(2)):
                target = resolve(mods, base + (name,))
                if target and target != m and not (m[:len(target)] == target): g[m].add(target)
    return g
def sccs(g):
    idx, low, st, on, res, c = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)
    def visit(v):
        idx[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
        for w in g[v]:
            if w not in idx: visit(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], idx[w])
        if low[v] == idx[v]:
            comp = []
            while True:
                w = st.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: res.append(sorted('::'.join(x) for x in comp))
    for v in g:
        if v not in idx: visit(v)
    return res
CRATES = ['vocabulary', 'io', 'datasets', 'baselines', 'results', 'reports', 'harness']
found = False
for crate in sys.argv[1:] or CRATES:
    mods = modules(crate)
    cycles = sccs(graph(mods))
    found |= bool(cycles)
    print(f'{crate}: {len(mods)} modules, cycles: {cycles if cycles else "none"}')
sys.exit(1 if found else 0)
