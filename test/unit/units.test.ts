import { describe, expect, test } from "bun:test";
import { HbError } from "../../src/errors";
import { formatBytes, formatDuration, formatRate, parseDuration, parseSize } from "../../src/units";

const usageError = (fn: () => unknown, ...fragments: string[]) => {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(HbError);
  const error = caught as HbError;
  expect(error.kind).toBe("usage");
  expect(error.exitCode).toBe(2);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
};

describe("parseSize", () => {
  test("plain numbers are bytes", () => {
    expect(parseSize("0")).toBe(0);
    expect(parseSize("4096")).toBe(4096);
    expect(parseSize("512B")).toBe(512);
  });

  test("multiples are binary, any case, with optional B or iB", () => {
    expect(parseSize("1K")).toBe(1024);
    expect(parseSize("1k")).toBe(1024);
    expect(parseSize("50M")).toBe(50 * 1024 ** 2);
    expect(parseSize("50MB")).toBe(50 * 1024 ** 2);
    expect(parseSize("50MiB")).toBe(50 * 1024 ** 2);
    expect(parseSize("2g")).toBe(2 * 1024 ** 3);
    expect(parseSize("1T")).toBe(1024 ** 4);
    expect(parseSize(" 8 M ")).toBe(8 * 1024 ** 2);
  });

  test("decimals", () => {
    expect(parseSize("1.5G")).toBe(1.5 * 1024 ** 3);
    expect(parseSize(".5K")).toBe(512);
    expect(parseSize("0.1K")).toBe(102); // rounded to a whole byte
  });

  test("rejects what is not a size, naming value and option", () => {
    usageError(() => parseSize("", "--ring"), '""', "--ring");
    usageError(() => parseSize("abc", "--ring"), '"abc"', "--ring");
    usageError(() => parseSize("-5M", "--throttle"), '"-5M"', "--throttle");
    usageError(() => parseSize("5X"), '"5X"');
    usageError(() => parseSize("5MM"));
    usageError(() => parseSize("1e6"));
    usageError(() => parseSize("1.5"), "1.5"); // a fraction of a byte
    usageError(() => parseSize("5iB"));
    usageError(() => parseSize("99999999T")); // beyond exact integers
  });
});

describe("parseDuration", () => {
  test("units", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("2H")).toBe(7_200_000);
  });

  test("a plain number is seconds", () => {
    expect(parseDuration("10")).toBe(10_000);
    expect(parseDuration("0")).toBe(0);
  });

  test("rejects what is not a duration, naming value and option", () => {
    usageError(() => parseDuration("", "--lock-timeout"), "--lock-timeout");
    usageError(() => parseDuration("soon", "--lock-timeout"), '"soon"', "--lock-timeout");
    usageError(() => parseDuration("-1s"));
    usageError(() => parseDuration("5d"));
    usageError(() => parseDuration("1m30s"));
  });
});

describe("formatting", () => {
  test("formatBytes", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1 KiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(50 * 1024 ** 2)).toBe("50 MiB");
    expect(formatBytes(1.25 * 1024 ** 3)).toBe("1.25 GiB");
    expect(formatBytes(3 * 1024 ** 4)).toBe("3 TiB");
  });

  test("formatRate", () => {
    expect(formatRate(0)).toBe("0 B/s");
    expect(formatRate(100 * 1024 ** 2)).toBe("100 MiB/s");
  });

  test("formatDuration", () => {
    expect(formatDuration(250)).toBe("250ms");
    expect(formatDuration(1500)).toBe("1.5s");
    expect(formatDuration(30_000)).toBe("30s");
    expect(formatDuration(125_000)).toBe("2m05s");
    expect(formatDuration(3_725_000)).toBe("1h02m05s");
  });

  test("what formatBytes prints, parseSize reads back", () => {
    for (const bytes of [0, 512, 1024, 1536, 50 * 1024 ** 2, 3 * 1024 ** 4]) {
      expect(parseSize(formatBytes(bytes).replace(" ", ""))).toBe(bytes);
    }
  });
});
