/// <reference lib="dom" />
/**
 * The midge dashboard: overview, clients, subscriptions, topics, a subscribe panel,
 * publish, server (listeners, cluster) and bridges pages over the admin REST API, polled
 * (and, for the subscribe panel, streamed) for live updates. Plain TypeScript
 * compiled by the project's tsc, and uPlot for the charts, served by the broker
 * itself: nothing is loaded from elsewhere.
 */
import { api, hasAuthorization, onUnauthorized, setAuthorization } from './api.js';
import type { IdentityView, StatsSnapshot } from './api-types.js';
import { BridgesView } from './bridges.js';
import { ClientsView } from './clients.js';
import { h, replace } from './dom.js';
import { LiveView } from './live.js';
import { loginForm } from './login.js';
import { OverviewView } from './overview.js';
import { Poller } from './poller.js';
import { PublishView } from './publish.js';
import { ServerView } from './server.js';
import { SubscriptionsView } from './subscriptions.js';
import { TopicsView } from './topics.js';
import type { View } from './view.js';

const root = document.getElementById('app')!;
const overview = new OverviewView();
const views: Record<string, { title: string; view: View }> = {
  overview: { title: 'Overview', view: overview },
  clients: { title: 'Clients', view: new ClientsView() },
  subscriptions: { title: 'Subscriptions', view: new SubscriptionsView() },
  topics: { title: 'Topics', view: new TopicsView() },
  subscribe: { title: 'Subscribe', view: new LiveView() },
  publish: { title: 'Publish', view: new PublishView() },
  server: { title: 'Server', view: new ServerView() },
  bridges: { title: 'Bridges', view: new BridgesView() },
};
/** Stats are polled whatever the page, so the overview's charts have no gaps. */
const stats = new Poller(async () => overview.feed(await api<StatsSnapshot>('/api/v1/stats')), 1000);
let current: View | undefined;
let who = '';

function route(): string {
  const name = location.hash.replace(/^#\/?/, '');
  return name in views ? name : 'overview';
}

function show(): void {
  current?.stop();
  const name = route();
  current = views[name]!.view;
  const nav = h('nav', { 'aria-label': 'Pages' }, ...Object.entries(views).map(([key, v]) =>
    h('a', { href: `#/${key}`, 'aria-current': key === name ? 'page' : undefined }, v.title)));
  const header = h('header', { class: 'top' }, h('h1', {}, 'midge'), nav,
    h('div', { class: 'who' }, who, h('button', { type: 'button', class: 'link', onclick: logout }, 'Log out')));
  replace(root, header, h('main', {}, current.element));
  current.start();
}

function login(notice = ''): void {
  current?.stop();
  current = undefined;
  stats.stop();
  replace(root, loginForm((authorization, identity) => {
    setAuthorization(authorization);
    who = identity.name;
    stats.start();
    show();
  }, notice));
}

function logout(): void {
  setAuthorization(undefined);
  login();
}

onUnauthorized(() => {
  setAuthorization(undefined);
  login('Your credentials were refused: log in again');
});
window.addEventListener('hashchange', () => {
  if (hasAuthorization()) show();
});

if (hasAuthorization()) {
  api<IdentityView>('/api/v1/whoami').then((identity) => {
    who = identity.name;
    stats.start();
    show();
  }, () => login());
} else {
  login();
}
