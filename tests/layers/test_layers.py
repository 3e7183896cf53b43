#!/usr/bin/env python3
"""The layer check (daemon/layer_check.py) against small trees of two layers compiled here,
each breaking one rule, and against the daemon as it is; then baocaoctl's symbols.
usage: test_layers.py LAYER_CHECK.py DAEMON_DIR BAOCAOCTL (LAYER_LIBS in the environment)"""
import os
import shutil
import subprocess
import sys
import tempfile

checker, daemon_dir, baocaoctl = sys.argv[1:4]
count = 0
failed = 0


def ok(cond, what, detail=''):
    """One TAP line; detail (the checker's output) follows as comment lines."""
    global count, failed
    count += 1
    print(('ok %d - %s' if cond else 'not ok %d - %s') % (count, what))
    for line in detail.strip().splitlines():
        print('# ' + line)
    if not cond:
        failed += 1


def tree(files):
    """A tree of layers low/ and high/ and ctl/, each folder's .c files compiled into
    lib<folder>.a; returns (dir, layer:lib arguments)."""
    d = tempfile.mkdtemp(prefix='layers.')
    try:
        return d, build(d, files)
    except BaseException:
        shutil.rmtree(d)
        raise


def build(d, files):
    """Writes files under d and compiles each folder into its library."""
    for path, text in files.items():
        os.makedirs(os.path.join(d, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(d, path), 'w') as f:
            f.write(text)
    args = []
    for layer in ('low', 'high', 'ctl'):
        objs = []
        folder = os.path.join(d, layer)
        os.makedirs(folder, exist_ok=True)
        for f in sorted(os.listdir(folder)):
            if f.endswith('.c'):
                o = os.path.join(folder, layer + '_' + f + '.o')
                # Every folder is searched, so that the check alone judges the includes.
                subprocess.run(['cc', '-c'] + ['-I' + os.path.join(d, x)
                                               for x in ('low', 'high', 'ctl')] +
                               ['-o', o, os.path.join(folder, f)], check=True)
                objs.append(o)
        lib = os.path.join(d, 'lib%s.a' % layer)
        subprocess.run(['ar', 'rcs', lib] + objs, check=True)
        args.append('%s:%s' % (layer, lib))
    return args


def run(d, args):
    r = subprocess.run([sys.executable, checker, d, os.path.join(d, 'stamp')] + args,
                       capture_output=True, text=True)
    return r.returncode, r.stderr


BASE = {
    'low/a.h': 'int a(void);\n',
    'low/a.c': '#include "a.h"\nint a(void) { return 1; }\n',
    'low/b.h': 'int b(void);\n',
    'low/b.c': '#include "b.h"\n#include "a.h"\nint b(void) { return a(); }\n',
    'high/h.h': 'int h(void);\n',
    'high/h.c': '#include "h.h"\n#include "b.h"\nint h(void) { return b(); }\n',
    'ctl/c.c': '#include "b.h"\nint c(void);\nint c(void) { return b(); }\n',
}

cases = [
    ('a tree that keeps the rules passes', {}, 0, ''),
    ('an upward include is refused',
     {'low/a.c': '#include "a.h"\n#include "h.h"\nint a(void) { return 1; }\n'},
     1, 'reaches up from low to high'),
    ('an include circle is refused',
     {'low/a.c': '#include "a.h"\n#include "b.h"\nint a(void) { return 1; }\n'},
     1, 'include circle between a, b'),
    ('a call circle is refused',
     {'low/a.c': '#include "a.h"\nint b(void);\nint a(void) { return b(); }\n'},
     1, 'call circle between low/a.c, low/b.c'),
    ('an upward call is refused',
     {'low/a.c': '#include "a.h"\nint h(void);\nint a(void) { return h(); }\n'},
     1, 'low/a.c calls h of high/h.c, a higher layer'),
    ('an include by path between angle brackets is refused',
     {'low/a.c': '#include "a.h"\n#include <../high/h.h>\nint a(void) { return 1; }\n'},
     1, 'names no header of the layers'),
    ('an include by path is refused',
     {'low/a.c': '#include "a.h"\n#include "../high/h.h"\nint a(void) { return 1; }\n'},
     1, 'names no header of the layers'),
]
for what, change, want_rc, want_text in cases:
    files = dict(BASE)
    files.update(change)
    d, args = tree(files)
    try:
        rc, err = run(d, args)
        ok(rc == want_rc and want_text in err, '%s (exit %d)' % (what, rc), err)
    finally:
        shutil.rmtree(d)

# The daemon as it is.
libs = os.environ['LAYER_LIBS'].split()
with tempfile.TemporaryDirectory() as d:
    r = subprocess.run([sys.executable, checker, daemon_dir, os.path.join(d, 'stamp')] + libs,
                       capture_output=True, text=True)
    ok(r.returncode == 0, 'the daemon keeps the rules', r.stderr)

# baocaoctl links no part of the runtime (server, jobs, api).
out = subprocess.run(['nm', '--defined-only', baocaoctl], capture_output=True, text=True,
                     check=True).stdout
runtime = [line.split()[-1] for line in out.splitlines()
           if line.split()[-1].startswith(('http_', 'worker_', 'scheduler_', 'recurring_',
                                           'housekeeping_', 'api_', 'job_kinds'))]
ok(not runtime, 'baocaoctl holds no runtime symbol', ' '.join(runtime))

print('1..%d' % count)
sys.exit(1 if failed else 0)
