"""Module import graph of a crate's src/ directory: no circles.

Usage: python3 ci/modgraph.py CRATE/src [-v]

Edges come from `use crate::..`, `use super::..`, `use self::..` and inline
`crate::a::` paths in code (comments and doc comments are ignored); a name
the crate root re-exports (`pub use a::Name`) counts as an import of `a`.
With -v prints the graph of top-level modules and, for every directory
module, of its files. Exits 1 on a cycle among the top-level modules or
among the files of one directory module."""
import os, re, sys

src = sys.argv[1]
verbose = '-v' in sys.argv[2:]

def modname(path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] == 'mod':
        rel = rel[:-1]
    return 'crate' if rel == ['lib'] else '::'.join(rel)

mods = {}
for d, _, fs in os.walk(src):
    for f in fs:
        if f.endswith('.rs'):
            mods[modname(os.path.join(d, f))] = os.path.join(d, f)

def root_reexports():
    """Names the crate root re-exports, to the module they come from."""
    lib = os.path.join(src, 'lib.rs')
    if not os.path.exists(lib):
        lib = os.path.join(src, 'main.rs')
    text = ''.join(line.split('//')[0] for line in open(lib))
    out = {}
    for mt in re.finditer(r'pub\s+use\s+(\w+)(?:::\w+)*::(?:\{([^;]*)\}|(\w+))\s*;', text):
        module, group, single = mt.group(1), mt.group(2), mt.group(3)
        names = [single] if single else re.split(r'[,\s{}:]+', group or '')
        for n in names:
            if n and n not in ('self', '*'):
                out[n] = module
    return out

REEXPORTS = {}

def resolve(cur, path):
    parts = path.split('::')
    if parts[0] == 'crate' and len(parts) > 1 and parts[1] in REEXPORTS and parts[1] not in mods:
        return REEXPORTS[parts[1]] if REEXPORTS[parts[1]] in mods else None
    if parts[0] == 'crate':
        base, rest = [], parts[1:]
    elif parts[0] == 'super':
        base, rest = cur.split('::')[:-1], parts[1:]
    elif parts[0] == 'self':
        base, rest = cur.split('::'), parts[1:]
    else:
        return None
    best = None
    for i in range(len(rest) + 1):
        cand = '::'.join(base + rest[:i])
        if cand in mods:
            best = cand
    return best or ('crate' if not base else '::'.join(base))

edges = set()
REEXPORTS.update(root_reexports())

def scan(m, cur, text):
    for mt in re.finditer(r'\buse\s+((?:crate|super|self)(?:::\w+)*)(?:::\{([^;]*)\})?', text):
        head, group = mt.group(1), mt.group(2)
        targets = [head]
        if group:
            for g in group.split(','):
                g = re.sub(r'\{.*', '', g.strip().split(' as ')[0]).strip()
                if g and g not in ('self', '*'):
                    targets.append(head + '::' + g.split('::')[0])
        for t in targets:
            r = resolve(cur, t)
            if r and r != m:
                edges.add((m, r))
    for mt in re.finditer(r'(?<!use )\b(crate(?:::\w+)+)', text):
        r = resolve(cur, mt.group(1))
        if r and r != m:
            edges.add((m, r))

for m, p in mods.items():
    text = ''.join(line.split('//')[0] for line in open(p))
    # an inline `mod tests` is a child of the file's module
    cut = text.find('mod tests {')
    if cut < 0:
        scan(m, m, text)
    else:
        scan(m, m, text[:cut])
        scan(m, (m + '::tests') if m != 'crate' else 'tests', text[cut:])

def cycles(nodes, es):
    g = {n: set() for n in nodes}
    for a, b in es:
        if a in g and b in g:
            g[a].add(b)
    out, stack, color = [], [], {}
    def dfs(u):
        color[u] = 1
        stack.append(u)
        for v in sorted(g[u]):
            if color.get(v) == 1:
                out.append(stack[stack.index(v):] + [v])
            elif not color.get(v):
                dfs(v)
        stack.pop()
        color[u] = 2
    for n in sorted(g):
        if not color.get(n):
            dfs(n)
    return out

top = lambda m: m.split('::')[0]
tops = sorted({top(m) for m in mods if m != 'crate'})
tedges = {(top(a), top(b)) for a, b in edges if top(a) != top(b) and 'crate' not in (a, b)}
say = print if verbose else (lambda *a: None)
say('top-level modules:')
for t in tops:
    say(f'  {t} -> {", ".join(sorted(b for a, b in tedges if a == t)) or "-"}')
bad = cycles(tops, tedges)
for t in tops:
    subs = sorted(m for m in mods if m.startswith(t + '::'))
    if not subs:
        continue
    sedges = {(a, b) for a, b in edges if a in subs and b in subs}
    say(f'{t}/:')
    for s in subs:
        tgt = sorted(b.split('::')[-1] for a, b in sedges if a == s)
        say(f'  {s.split("::")[-1]} -> {", ".join(tgt) or "-"}')
    bad += cycles(subs, sedges)
for c in bad:
    print(f'{src}: import circle: {" -> ".join(c)}', file=sys.stderr)
sys.exit(1 if bad else 0)
