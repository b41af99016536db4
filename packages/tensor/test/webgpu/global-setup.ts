// Points Dawn (the `webgpu` package) at SwiftShader's Vulkan driver when no driver is configured and
// Debian's Chromium ships one, so `npm test` finds an adapter without manual exports. Runs before the
// test workers start, which inherit the environment.
import { existsSync } from 'node:fs';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export default function setup(): void {
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
}
