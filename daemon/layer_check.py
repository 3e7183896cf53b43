#!/usr/bin/env python3
"""The house's rules, checked at every build (daemon/meson.build runs this after the layer
libraries are built; a broken rule fails the build with the files and names that break it):

- an include names a header of the file's own layer or of a layer below it;
- no include circle between modules (a module is NAME.c with NAME.h);
- no call circle between the object files of the libraries (nm: which file defines a symbol
  another one uses), and no call from a layer to a higher one.

usage: layer_check.py SOURCE_DIR STAMP LAYER:LIBRARY.a ... (lowest layer first)
"""
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
ANGLED = re.compile(r'^\s*#\s*include\s+<([^>]+)>', re.M)


def modules(src, layers):
    """Every module of the layers and of ctl/: name -> (layer rank, paths)."""
    mods = {}
    places = [(i, layer) for i, layer in enumerate(layers)] + [(len(layers), 'ctl')]
    for rank, folder in places:
        d = os.path.join(src, folder)
        for f in sorted(os.listdir(d)):
            if f.endswith(('.c', '.h')):
                name = os.path.splitext(f)[0]
                if name in mods and mods[name][0] != rank:
                    sys.exit('layer check: %s is the name of modules in two folders; '
                             'rename one' % name)
                mods.setdefault(name, (rank, []))[1].append(os.path.join(d, f))
    return mods


def circles(graph):
    """The strongly connected sets of more than one node (Tarjan, iterative)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                scc = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    scc.append(w)
                    if w == v:
                        break
                if len(scc) > 1:
                    out.append(sorted(scc))
    return out


def check_includes(src, layers, errors):
    mods = modules(src, layers)
    graph = {}
    for name, (rank, paths) in mods.items():
        for p in paths:
            text = open(p, encoding='utf-8').read()
            includes = INCLUDE.findall(text)
            # <...> is for other libraries' headers; one of ours that way (bare, or by a
            # path through our folders) is judged like a quoted one.
            for inc in ANGLED.findall(text):
                first = inc.split('/')[0]
                base = os.path.splitext(os.path.basename(inc))[0]
                if first in ('..', '.', 'daemon') or first in layers + ['ctl'] or \
                        ('/' not in inc and base in mods and inc.endswith('.h')):
                    includes.append(inc)
            for inc in includes:
                if inc == 'build_config.h':
                    continue
                target = os.path.splitext(os.path.basename(inc))[0]
                if '/' in inc or target not in mods:
                    errors.append('%s: #include "%s" names no header of the layers'
                                  % (os.path.relpath(p, src), inc))
                    continue
                trank = mods[target][0]
                if trank > rank:
                    errors.append('%s: #include "%s" reaches up from %s to %s'
                                  % (os.path.relpath(p, src), inc,
                                     (layers + ['ctl'])[rank], (layers + ['ctl'])[trank]))
                # A header without a .c of its own holds declarations only (a layer's
                # private types): it cannot take part in a circle of code.
                if target != name and any(q.endswith('.c') for q in mods[target][1]):
                    graph.setdefault(name, set()).add(target)
    for c in circles(graph):
        ties = ['%s -> %s' % (a, b) for a in c for b in sorted(graph.get(a, ())) if b in c]
        errors.append('include circle between %s: %s' % (', '.join(c), '; '.join(ties)))


def nm(args):
    out = subprocess.run(['nm', '-A'] + args, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def object_name(layer, where):
    """'lib.a:dir/LAYER_NAME.c.o' -> 'LAYER/NAME.c'."""
    base = os.path.basename(where.split(':')[-1])
    if base.endswith('.o'):
        base = base[:-2]
    prefix = layer + '_'
    if base.startswith(prefix):
        base = base[len(prefix):]
    return '%s/%s' % (layer, base)


def check_calls(libs, errors):
    """libs: (layer rank, layer, path of its static library), lowest first."""
    defined, used, rank_of = {}, {}, {}
    for rank, layer, lib in libs:
        for line in nm(['--defined-only', lib]):
            where, _, rest = line.rpartition(':')
            parts = rest.split()
            if len(parts) == 3 and parts[1] in 'TDBR':
                obj = object_name(layer, where)
                defined[parts[2]] = obj
                rank_of[obj] = rank
        for line in nm(['-u', lib]):
            where, _, rest = line.rpartition(':')
            parts = rest.split()
            if len(parts) == 2 and parts[0] == 'U':
                obj = object_name(layer, where)
                used.setdefault(obj, set()).add(parts[1])
                rank_of.setdefault(obj, rank)
    graph = {}
    for obj, syms in used.items():
        for s in sorted(syms):
            d = defined.get(s)
            if d is None or d == obj:
                continue
            if rank_of[d] > rank_of[obj]:
                errors.append('%s calls %s of %s, a higher layer' % (obj, s, d))
            graph.setdefault(obj, {}).setdefault(d, []).append(s)
    for c in circles({k: set(v) for k, v in graph.items()}):
        ties = ['%s -> %s (%s)' % (a, b, ', '.join(graph[a][b][:4]))
                for a in c for b in sorted(graph.get(a, {})) if b in c]
        errors.append('call circle between %s: %s' % (', '.join(c), '; '.join(ties)))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    src, stamp = sys.argv[1], sys.argv[2]
    pairs = [a.split(':', 1) for a in sys.argv[3:]]
    layers = [p[0] for p in pairs if p[0] != 'ctl']
    libs = [(i, layer, lib) for i, (layer, lib) in enumerate(pairs)]
    errors = []
    check_includes(src, layers, errors)
    check_calls(libs, errors)
    if errors:
        for e in errors:
            print('layer check: ' + e, file=sys.stderr)
        print('layer check: %d rule(s) broken; docs/architecture.md says where code goes'
              % len(errors), file=sys.stderr)
        return 1
    with open(stamp, 'w') as f:
        f.write('%d layers, %d modules checked\n' % (len(libs), len(modules(src, layers))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
