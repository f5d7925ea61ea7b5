/// <reference lib="dom" />
import { h } from './dom.js';

/**
 * A table inside its own horizontal scroller: a wide table scrolls within the page
 * on a phone instead of widening the page.
 */
export function scrollingTable(columns: string[], body: HTMLTableSectionElement, label: string): HTMLElement {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: 0 },
    h('table', { class: 'table' }, h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)))), body));
}
