/// <reference lib="dom" />
import { api } from './api.js';
import type { TopicChangesView, TopicView } from './api-types.js';
import { h, replace } from './dom.js';
import { ago, bytes, count } from './format.js';
import { WITHHELD } from './live.js';
import { PolledView } from './view.js';

/** One level of the tree. */
interface TreeNode {
  name: string;
  path: string;
  children: Map<string, TreeNode>;
  /** The topic itself, when messages were published to exactly this path. */
  topic: TopicView | undefined;
  /** Messages in this subtree. */
  messages: number;
}

/** Children shown per node; a broker with more topics than a screen can take gets a note instead. */
const MAX_CHILDREN = 500;
/** A topic updated this recently is highlighted. */
const FRESH_MS = 2000;

function newNode(name: string, path: string): TreeNode {
  return { name, path, children: new Map(), topic: undefined, messages: 0 };
}

/** Builds the tree of levels from the flat list of topics, keeping those that contain `filter`. */
export function buildTree(topics: Iterable<TopicView>, filter: string): TreeNode {
  const root = newNode('', '');
  for (const t of topics) {
    if (filter && !t.topic.includes(filter)) continue;
    let node = root;
    node.messages += t.messages;
    const levels = t.topic.split('/');
    levels.forEach((level, i) => {
      let child = node.children.get(level);
      if (!child) {
        child = newNode(level, levels.slice(0, i + 1).join('/'));
        node.children.set(level, child);
      }
      child.messages += t.messages;
      node = child;
    });
    node.topic = t;
  }
  return root;
}

/**
 * The topic tree, as MQTT Explorer shows it: every topic level, message counts,
 * the last payload and whether the broker holds a retained message, updated live
 * by polling the changes since the last version seen.
 */
export class TopicsView extends PolledView {
  readonly element: HTMLElement;
  private readonly topics = new Map<string, TopicView>();
  private version = 0;
  private readonly filter = h('input', { type: 'search', id: 'topic-filter', placeholder: 'part of a topic' });
  private readonly tree = h('div', { class: 'tree', role: 'tree', 'aria-label': 'Topic tree' });
  private readonly detail = h('div', { class: 'detail topic-detail' });
  private readonly summary = h('p', { class: 'status', role: 'status' });
  /** Levels the user opened or closed; the rest follow the default (open above depth 2). */
  private readonly toggled = new Map<string, boolean>();
  private selected: string | undefined;

  constructor() {
    super(1000);
    this.filter.addEventListener('input', () => this.render());
    this.element = h('section', { class: 'view', 'aria-label': 'Topics' },
      h('h2', {}, 'Topics'),
      h('div', { class: 'toolbar' }, h('label', { for: 'topic-filter' }, 'Filter'), this.filter, this.summary),
      h('div', { class: 'split' }, this.tree, this.detail));
  }

  protected async load(): Promise<void> {
    const changes = await api<TopicChangesView>(`/api/v1/topics?since=${this.version}`);
    if (changes.full) this.topics.clear();
    for (const t of changes.topics) this.topics.set(t.topic, t);
    for (const topic of changes.removed) this.topics.delete(topic);
    this.version = changes.version;
    this.render();
  }

  private render(): void {
    const root = buildTree(this.topics.values(), this.filter.value);
    this.summary.textContent = `${count(this.topics.size)} topics, ${count(root.messages)} messages`;
    replace(this.tree, this.renderChildren(root, 0));
    this.renderDetail();
  }

  private isOpen(node: TreeNode, depth: number): boolean {
    return this.toggled.get(node.path) ?? depth < 2;
  }

  private renderChildren(node: TreeNode, depth: number): HTMLUListElement {
    const children = [...node.children.values()].sort((a, b) => a.name.localeCompare(b.name));
    const shown = children.slice(0, MAX_CHILDREN).map((c) => this.renderNode(c, depth));
    const more = children.length > MAX_CHILDREN ? h('li', { class: 'empty' }, `… ${count(children.length - MAX_CHILDREN)} more (use the filter)`) : null;
    return h('ul', { role: 'group' }, ...shown, more);
  }

  private renderNode(node: TreeNode, depth: number): HTMLLIElement {
    const open = this.isOpen(node, depth);
    const hasChildren = node.children.size > 0;
    const t = node.topic;
    const fresh = t && Date.now() - Date.parse(t.updatedAt) < FRESH_MS;
    const toggle = hasChildren
      ? h('button', { type: 'button', class: 'toggle', 'aria-label': open ? `Collapse ${node.path}` : `Expand ${node.path}`, onclick: (e) => {
        e.stopPropagation();
        this.toggled.set(node.path, !open);
        this.render();
      } }, open ? '▾' : '▸')
      : h('span', { class: 'toggle' });
    const row = h('div', {
      class: `node${node.path === this.selected ? ' selected' : ''}${fresh ? ' fresh' : ''}`, 'data-topic': node.path,
      onclick: () => {
        this.selected = node.path;
        this.render();
      },
    },
    toggle,
    h('span', { class: 'node-name' }, node.name === '' ? '(empty)' : node.name),
    h('span', { class: 'node-count', title: 'messages' }, count(node.messages)),
    t?.retained ? h('span', { class: 'badge retained' }, 'retained') : null,
    t ? h('span', { class: 'node-payload' }, preview(t)) : null);
    return h('li', { role: 'treeitem', 'aria-expanded': hasChildren ? String(open) : undefined }, row,
      hasChildren && open ? this.renderChildren(node, depth + 1) : null);
  }

  private renderDetail(): void {
    const t = this.selected ? this.topics.get(this.selected) : undefined;
    if (!t) {
      replace(this.detail, h('p', { class: 'empty' }, this.selected ? `${this.selected}: no messages on this exact topic` : 'Select a topic'));
      return;
    }
    const remove = t.retained
      ? h('button', { type: 'button', class: 'danger', onclick: () => void this.deleteRetained(t.topic) }, 'Delete retained message')
      : null;
    replace(this.detail,
      h('h3', { class: 'mono' }, t.topic),
      h('dl', {},
        h('dt', {}, 'Messages'), h('dd', {}, count(t.messages)),
        h('dt', {}, 'Last'), h('dd', {}, `${ago(t.updatedAt)}, QoS ${t.qos}${t.retainFlag ? ', retain flag set' : ''}`),
        h('dt', {}, 'Retained'), h('dd', {}, t.retained ? 'yes' : 'no'),
        h('dt', {}, 'Size'), h('dd', {}, bytes(t.size) + (t.truncated ? ' (start shown)' : ''))),
      h('pre', { class: 'payload' }, t.withheld ? WITHHELD : t.encoding === 'utf8' ? t.payload : `base64: ${t.payload}`),
      remove);
  }

  private async deleteRetained(topic: string): Promise<void> {
    await api(`/api/v1/retained?topic=${encodeURIComponent(topic)}`, { method: 'DELETE' }).catch(() => undefined);
    await this.poller.now();
  }
}

function preview(t: TopicView): string {
  if (t.withheld) return WITHHELD;
  const text = t.encoding === 'utf8' ? t.payload : `(${bytes(t.size)} binary)`;
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
