// Loaded with `node --import` into the UI processes of resize.test.ts: every process reads the same clock at
// the same moment (XNET_TEST_CLOCK_AT when the test began), so two UIs started apart draw the same header.
// Time still moves, so Ink's render throttle (which measures with Date.now) keeps working.
const at = Number(process.env.XNET_TEST_CLOCK_AT);
const wall = Number(process.env.XNET_TEST_CLOCK_WALL);
const realNow = Date.now;
if (Number.isFinite(at) && Number.isFinite(wall)) Date.now = () => at + (realNow() - wall);
