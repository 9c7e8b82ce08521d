/** Name–value rows (a key's context, its metadata): each row two labelled inputs and Remove. */
export interface Pair {
  name: string;
  value: string;
}

interface Props {
  /** Names the rows for assistive technology: `Context 1 key`, `Metadata 2 value`. */
  label: string;
  rows: Pair[];
  onChange: (rows: Pair[]) => void;
  addLabel: string;
  /** No Add beyond this many rows. */
  max?: number;
}

export function PairRows({ label, rows, onChange, addLabel, max }: Props) {
  const set = (i: number, patch: Partial<Pair>) => onChange(rows.map((row, j) => (j === i ? { ...row, ...patch } : row)));
  const full = max !== undefined && rows.length >= max;
  return (
    <>
      {rows.map((pair, i) => (
        <div class="pair" key={i}>
          <input aria-label={`${label} ${i + 1} key`} placeholder="Key" value={pair.name} onInput={(e) => set(i, { name: (e.target as HTMLInputElement).value })} />
          <input aria-label={`${label} ${i + 1} value`} placeholder="Value" value={pair.value} onInput={(e) => set(i, { value: (e.target as HTMLInputElement).value })} />
          <button type="button" class="link" aria-label={`Remove ${label.toLowerCase()} ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" class="link" disabled={full} onClick={() => onChange([...rows, { name: '', value: '' }])}>
        {addLabel}
      </button>
      {full ? <span class="muted small"> At most {max}.</span> : null}
    </>
  );
}
