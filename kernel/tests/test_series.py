"""check-queue: the queue reader and checker, and the config checker, on small
queues and configs built here with known defects (no kernel tree needed)."""
import os
import subprocess
import sys
import tempfile
import unittest

KERNEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, KERNEL)
import config_check  # noqa: E402
import series  # noqa: E402

GOOD = """From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: vifbench developers <vifbench@example.invalid>
Date: Wed, 2 Dec 2026 02:54:50 +0000
Subject: [PATCH] foo: bar

The old code did the wrong thing because of this,
so do the right thing instead.

Signed-off-by: vifbench developers <vifbench@example.invalid>
---
 a.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/dir/a.c b/dir/a.c
index 1111111..2222222 100644
--- a/dir/a.c
+++ b/dir/a.c
@@ -1 +1 @@
-old
+new
"""


class Queue:
    """A temporary patches/ folder and series file."""

    def __init__(self, test, series_text, patches):
        self.dir = tempfile.TemporaryDirectory()
        test.addCleanup(self.dir.cleanup)
        self.patches = os.path.join(self.dir.name, "patches")
        self.series = os.path.join(self.dir.name, "series")
        for name, text in patches.items():
            path = os.path.join(self.patches, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        with open(self.series, "w") as f:
            f.write(series_text)


B = series.BOUNDARY


class SeriesTest(unittest.TestCase):
    def test_split_at_boundary(self):
        q = Queue(self, f"# c\nbase/1.patch\nbase/2.patch -p1\n\n{B}\nnapi/1.patch\n",
                  {"base/1.patch": GOOD, "base/2.patch": GOOD, "napi/1.patch": GOOD})
        self.assertEqual(series.flavour_patches(q.series, "plain"),
                         ["base/1.patch", "base/2.patch"])
        self.assertEqual(series.flavour_patches(q.series, "patched"),
                         ["base/1.patch", "base/2.patch", "napi/1.patch"])
        self.assertEqual(series.check_queue(q.series, q.patches), (2, 1))

    def test_nothing_after_boundary_is_plain_equals_patched(self):
        q = Queue(self, f"base/1.patch\n{B}\n", {"base/1.patch": GOOD})
        self.assertEqual(series.flavour_patches(q.series, "patched"), ["base/1.patch"])

    def test_cli_list(self):
        q = Queue(self, f"base/1.patch\n{B}\nnapi/1.patch\n",
                  {"base/1.patch": GOOD, "napi/1.patch": GOOD})
        out = subprocess.run([sys.executable, os.path.join(KERNEL, "series.py"), "list",
                              q.series, "plain"], capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout, "base/1.patch\n")

    def assertQueueError(self, q, *fragments, unlisted_ok=False):
        with self.assertRaises(series.QueueError) as cm:
            series.check_queue(q.series, q.patches, unlisted_ok=unlisted_ok)
        for fragment in fragments:
            self.assertIn(fragment, str(cm.exception))

    def test_missing_boundary(self):
        q = Queue(self, "base/1.patch\n", {"base/1.patch": GOOD})
        self.assertQueueError(q, "no boundary line")

    def test_two_boundaries(self):
        q = Queue(self, f"base/1.patch\n{B}\n{B}\n", {"base/1.patch": GOOD})
        self.assertQueueError(q, ":3: second boundary line")

    def test_listed_twice(self):
        q = Queue(self, f"base/1.patch\n{B}\nbase/1.patch\n", {"base/1.patch": GOOD})
        self.assertQueueError(q, ":3: base/1.patch is listed twice (first at line 1)")

    def test_missing_file(self):
        q = Queue(self, f"base/1.patch\nbase/2.patch\n{B}\n", {"base/1.patch": GOOD})
        self.assertQueueError(q, "series:2: base/2.patch: listed in the series but")

    def test_no_signed_off_by(self):
        bad = GOOD.replace("Signed-off-by: vifbench developers <vifbench@example.invalid>\n", "")
        q = Queue(self, f"base/1.patch\n{B}\n", {"base/1.patch": bad})
        self.assertQueueError(q, "1.patch", "no 'Signed-off-by:'")

    def test_no_subject(self):
        q = Queue(self, f"base/1.patch\n{B}\n",
                  {"base/1.patch": GOOD.replace("Subject: [PATCH] foo: bar\n", "")})
        self.assertQueueError(q, "no 'Subject:' header")

    def test_no_why(self):
        bad = GOOD.replace("The old code did the wrong thing because of this,\n"
                           "so do the right thing instead.\n\n", "")
        q = Queue(self, f"base/1.patch\n{B}\n", {"base/1.patch": bad})
        self.assertQueueError(q, "does not say why")

    def test_not_a_patch(self):
        q = Queue(self, f"base/1.patch\n{B}\n", {"base/1.patch": "just text\n"})
        self.assertQueueError(q, "no 'diff --git' line")

    def test_unlisted_patch_file(self):
        q = Queue(self, f"base/1.patch\n{B}\n", {"base/1.patch": GOOD, "napi/9.patch": GOOD})
        self.assertQueueError(q, "napi/9.patch: not listed")
        self.assertEqual(series.check_queue(q.series, q.patches, unlisted_ok=True), (1, 0))

    def test_strip_level_other_than_p1(self):
        q = Queue(self, f"base/1.patch -p0\n{B}\n", {"base/1.patch": GOOD})
        self.assertQueueError(q, ":1: expected a patch name")

    def test_touched_files(self):
        q = Queue(self, f"base/1.patch\n{B}\n", {"base/1.patch": GOOD})
        self.assertEqual(series.touched_files(os.path.join(q.patches, "base/1.patch")), ["dir/a.c"])


class ConfigCheckTest(unittest.TestCase):
    def write(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".config", delete=False)
        self.addCleanup(os.unlink, f.name)
        f.write(text)
        f.close()
        return f.name

    def test_all_as_asked(self):
        final = self.write("CONFIG_XEN=y\nCONFIG_NR=8\n# CONFIG_FOO is not set\n")
        frag = self.write("# c\nCONFIG_XEN=y\nCONFIG_NR=8\n# CONFIG_FOO is not set\n")
        self.assertEqual(config_check.check(final, [frag]), (3, []))

    def test_dropped_option_named_with_fragment_line(self):
        final = self.write("CONFIG_XEN=y\n# CONFIG_XEN_DOM0 is not set\nCONFIG_FOO=y\n")
        frag = self.write("CONFIG_XEN=y\nCONFIG_XEN_DOM0=y\n# CONFIG_FOO is not set\nCONFIG_BR=m\n")
        checked, problems = config_check.check(final, [frag])
        self.assertEqual(checked, 4)
        self.assertEqual(len(problems), 3)
        self.assertIn(f"{frag}:2: CONFIG_XEN_DOM0=y requested", problems[0])
        self.assertIn(f"{frag}:3: CONFIG_FOO must not be set", problems[1])
        self.assertIn(f"{frag}:4: CONFIG_BR=m requested, but {final} has not set", problems[2])

    def test_garbage_line(self):
        final = self.write("CONFIG_XEN=y\n")
        frag = self.write("XEN=y\n")
        self.assertIn(f"{frag}:1: not a config line", config_check.check(final, [frag])[1][0])


if __name__ == "__main__":
    unittest.main()
