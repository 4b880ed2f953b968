/**
 * The version of datacontract.yaml and its changelog against the released baseline, as a section of the
 * contract's HTML page (generated/html/contract.html, served at /contract), right after its Fundamentals.
 * Each change says whether it breaks a reader of the released contract, by the guard's rules.
 */
import type { BreakingChange, ChangelogEntry } from "./compare";

const html = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

export interface ChangelogSection {
  version: string;
  releasedVersion: string;
  changelog: ChangelogEntry[];
  breaking: BreakingChange[];
}

export function renderChangelogSection({
  version,
  releasedVersion,
  changelog,
  breaking,
}: ChangelogSection): string {
  const breakingPaths = new Set(breaking.map((b) => b.where));
  const rows = changelog.map((c) => {
    const breaks = breakingPaths.has(c.path);
    const value = (v: string | null) => (v === null ? "" : html(v));
    return `          <tr>
            <td class="px-3 py-2 text-sm text-gray-900">${html(c.path)}</td>
            <td class="px-3 py-2 text-sm text-gray-500">${c.type}</td>
            <td class="px-3 py-2 text-sm text-gray-500">${value(c.old_value)}</td>
            <td class="px-3 py-2 text-sm text-gray-500">${value(c.new_value)}</td>
            <td class="px-3 py-2 text-sm text-gray-500">${breaks ? "breaking" : ""}</td>
          </tr>`;
  });
  const body =
    changelog.length === 0
      ? `      <p class="text-sm text-gray-900">No changes since the released version ${html(releasedVersion)}.</p>`
      : `      <p class="text-sm text-gray-900">${changelog.length} change${changelog.length === 1 ? "" : "s"} since the released version ${html(releasedVersion)}, ${breaking.length} breaking for readers of it.</p>
      <table class="min-w-full divide-y divide-gray-300">
        <thead>
          <tr>
            <th class="px-3 py-2 text-left text-sm font-semibold text-gray-900">Path</th>
            <th class="px-3 py-2 text-left text-sm font-semibold text-gray-900">Change</th>
            <th class="px-3 py-2 text-left text-sm font-semibold text-gray-900">Released</th>
            <th class="px-3 py-2 text-left text-sm font-semibold text-gray-900">Now</th>
            <th class="px-3 py-2 text-left text-sm font-semibold text-gray-900">Impact</th>
          </tr>
        </thead>
        <tbody class="divide-y divide-gray-200">
${rows.join("\n")}
        </tbody>
      </table>`;
  return `<section id="changelog">
  <div class="px-4 sm:px-0">
    <h1 class="text-base font-semibold leading-6 text-gray-900">Changelog</h1>
    <p class="text-sm text-gray-500">Version ${html(version)} against the released version ${html(releasedVersion)} (contracts/released/datacontract.yaml)</p>
  </div>
  <div class="mt-2 overflow-hidden shadow sm:rounded-lg bg-white">
    <div class="px-4 py-4 sm:px-6">
${body}
    </div>
  </div>
</section>
`;
}

const ANCHOR = /^[ \t]*<section id="terms-of-use">/m;

/** The page with the section inserted before the Terms of Use (once: a page that has one is refused). */
export function insertChangelogSection(page: string, section: string): string {
  if (page.includes('<section id="changelog">')) throw new Error("the page already has a changelog section");
  const at = ANCHOR.exec(page);
  if (!at)
    throw new Error('the contract page has no <section id="terms-of-use"> to put the changelog before');
  return `${page.slice(0, at.index)}${section}${page.slice(at.index)}`;
}
