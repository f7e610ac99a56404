/** The GS1 mod-10 check digit of `digits` (GenSpecs §7.9.1: weights 3, 1, 3 … from the right). */
export function gs1CheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    sum += i % 2 === 0 ? d * 3 : d;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when the last digit of `value` is the GS1 check digit of the others. */
export function gs1CheckDigitOk(value: string): boolean {
  return /^\d{2,}$/.test(value) && gs1CheckDigit(value.slice(0, -1)) === Number(value.at(-1));
}
