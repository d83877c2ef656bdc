"""Fail unless every named tox environment left a JUnit report with tests
run, none skipped and none failed: `check_reports.py REPORT_DIR ENV...`.
Tests that recorded themselves not applicable to a stack (with a reason,
tests/support/stack.py) are counted apart."""
import collections
import os
import sys
import xml.etree.ElementTree as ET

KEYS = ('tests', 'skipped', 'failures', 'errors')


def summary(path):
    """The counts of a report, and its not-applicable reasons."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == 'testsuite' else root.findall('testsuite')
    counts = {key: sum(int(s.get(key, 0)) for s in suites) for key in KEYS}
    reasons = [p.get('value') for p in root.iter('property')
               if p.get('name') == 'not_applicable']
    return counts, reasons


def main(report_dir, envs):
    problems = []
    totals = dict.fromkeys(KEYS, 0)
    not_applicable = collections.Counter()
    for env in envs:
        path = os.path.join(report_dir, env + '.xml')
        if not os.path.exists(path):
            problems.append('%s: no report, the environment did not run' % env)
            continue
        counts, reasons = summary(path)
        for key in totals:
            totals[key] += counts[key]
        not_applicable.update(reasons)
        print('%-24s %s, not_applicable=%d' % (
            env, ', '.join('%s=%d' % kv for kv in sorted(counts.items())), len(reasons)))
        if counts['tests'] == 0:
            problems.append('%s: no tests ran' % env)
        for key in ('skipped', 'failures', 'errors'):
            if counts[key]:
                problems.append('%s: %d %s' % (env, counts[key], key))
    for problem in problems:
        print('check_reports: ' + problem, file=sys.stderr)
    print('%d environments: %d passed (%d of them not applicable to their stack), %d failed, '
          '%d skipped' % (
              len(envs), totals['tests'] - totals['failures'] - totals['errors']
              - totals['skipped'], sum(not_applicable.values()),
              totals['failures'] + totals['errors'], totals['skipped']))
    for reason, count in sorted(not_applicable.items()):
        print('  not applicable %dx: %s' % (count, reason))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2:]))
