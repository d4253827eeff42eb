// The diverging colours (positive vs negative attributions) stay apart for colour-blind readers: both ends of
// every signed scale, and each end against the neutral middle, are simulated for protanopia, deuteranopia and
// tritanopia (Machado, Oliveira & Fernandes 2009, severity 1, in linear RGB) and compared in CIELAB.
import { describe, expect, it } from "vitest";
import { NEG_COLOR, POS_COLOR } from "../../js/core/dom";
import { COLOR_MAPS, colorAt } from "../../js/core/overlay";
import { NEG_RGB, POS_RGB } from "../../js/text/tokens";

type RGB = [number, number, number];

const MACHADO: Record<string, number[][]> = {
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

const toLinear = (c: number) => {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};

function simulate(rgb: RGB, kind: string): number[] {
  const lin = rgb.map(toLinear);
  return MACHADO[kind].map((row) => Math.min(1, Math.max(0, row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2])));
}

function lab(lin: number[]): number[] {
  const [r, g, b] = lin;
  const xyz = [
    (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
    0.2126 * r + 0.7152 * g + 0.0722 * b,
    (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
  ];
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  const [fx, fy, fz] = xyz.map(f);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

const deltaE = (a: RGB, b: RGB, kind: string) => {
  const [x, y] = [lab(simulate(a, kind)), lab(simulate(b, kind))];
  return Math.hypot(x[0] - y[0], x[1] - y[1], x[2] - y[2]);
};

const hex = (s: string): RGB => [1, 3, 5].map((i) => Number.parseInt(s.slice(i, i + 2), 16)) as RGB;
const WHITE: RGB = [247, 247, 247];

const SCALES: [string, RGB, RGB][] = [
  ["image overlay red-blue", colorAt("red-blue", 1), colorAt("red-blue", 0)],
  ["importance / local bars", hex(POS_COLOR), hex(NEG_COLOR)],
  ["text tokens", POS_RGB, NEG_RGB],
];

describe("diverging colours for colour-blind readers", () => {
  it("every diverging colour map is checked here", () => {
    const diverging = Object.entries(COLOR_MAPS)
      .filter(([, m]) => m.diverging)
      .map(([k]) => k);
    expect(diverging).toEqual(["red-blue"]);
  });
  for (const kind of Object.keys(MACHADO)) {
    for (const [name, pos, neg] of SCALES) {
      it(`${name}: positive and negative stay apart under ${kind}`, () => {
        expect(deltaE(pos, neg, kind)).toBeGreaterThan(20);
        expect(deltaE(pos, WHITE, kind)).toBeGreaterThan(20);
        expect(deltaE(neg, WHITE, kind)).toBeGreaterThan(20);
      });
    }
  }
  it("the check can tell a red-green pair apart from a safe one", () => {
    // red vs green, the classic failure, merges for a deuteranope; the check must see it
    expect(deltaE([200, 40, 40], [40, 140, 40], "deuteranopia")).toBeLessThan(20);
  });
});
