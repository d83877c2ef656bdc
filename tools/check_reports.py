"""Fail unless every named tox environment left a JUnit report with tests
run, none skipped and none failed: `check_reports.py REPORT_DIR ENV...`."""
import os
import sys
import xml.etree.ElementTree as ET


def summary(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == 'testsuite' else root.findall('testsuite')
    return {key: sum(int(s.get(key, 0)) for s in suites)
            for key in ('tests', 'skipped', 'failures', 'errors')}


def main(report_dir, envs):
    problems = []
    totals = dict.fromkeys(('tests', 'skipped', 'failures', 'errors'), 0)
    for env in envs:
        path = os.path.join(report_dir, env + '.xml')
        if not os.path.exists(path):
            problems.append('%s: no report, the environment did not run' % env)
            continue
        counts = summary(path)
        for key in totals:
            totals[key] += counts[key]
        print('%-24s %s' % (env, ', '.join('%s=%d' % kv for kv in sorted(counts.items()))))
        if counts['tests'] == 0:
            problems.append('%s: no tests ran' % env)
        for key in ('skipped', 'failures', 'errors'):
            if counts[key]:
                problems.append('%s: %d %s' % (env, counts[key], key))
    for problem in problems:
        print('check_reports: ' + problem, file=sys.stderr)
    print('%d environments: %d passed, %d failed, %d skipped' % (
        len(envs), totals['tests'] - totals['failures'] - totals['errors'] - totals['skipped'],
        totals['failures'] + totals['errors'], totals['skipped']))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2:]))
