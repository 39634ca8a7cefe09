import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useReducer, useState } from 'preact/hooks';
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect, type VirtualizerOptions } from '@tanstack/virtual-core';

interface Props<T> {
  items: readonly T[];
  rowHeight: number;
  label: string;
  row: (item: T) => ComponentChildren;
}

/** A scrolling list that renders only the rows in view, so 10,000 clusters scroll smoothly. */
export function VirtualRows<T>({ items, rowHeight, label, row }: Props<T>) {
  const [scroller, setScroller] = useState<HTMLDivElement | null>(null);
  const [, rerender] = useReducer((count: number) => count + 1, 0);
  const options: VirtualizerOptions<HTMLDivElement, Element> = {
    count: items.length, getScrollElement: () => scroller, estimateSize: () => rowHeight, overscan: 12,
    observeElementRect, observeElementOffset, scrollToFn: elementScroll, onChange: () => rerender(undefined),
  };
  const [virtualizer] = useState(() => new Virtualizer(options));
  virtualizer.setOptions(options);
  useLayoutEffect(() => virtualizer._didMount(), [virtualizer]);
  useLayoutEffect(() => virtualizer._willUpdate());
  return (
    <div class="virtual" ref={setScroller} role="list" aria-label={label} tabIndex={0}>
      <div style={{ height: `${virtualizer.getTotalSize()}px`, position: 'relative' }}>
        {virtualizer.getVirtualItems().map((virtual) => (
          <div role="listitem" key={virtual.key} class="virtual-row" style={{ height: `${rowHeight}px`, transform: `translateY(${virtual.start}px)` }}>
            {row(items[virtual.index]!)}
          </div>
        ))}
      </div>
    </div>
  );
}
