/**
 * @module
 * `/favicon.ico`, which every browser asks for: a 32×32 key, light blue on the header's slate, in
 * a rounded square (one PNG image, 16 colours at most, inside an ICO container: 200 bytes). Its
 * URL cannot carry a version, so it is cached for a day, not a year.
 */

const FAVICON_BASE64 =
  'AAABAAEAICAAAAEAIACyAAAAFgAAAIlQTkcNChoKAAAADUlIRFIAAAAgAAAAIAgDAAAARKSKxgAAAAlQTFRFAAAAHyk3gLP/0xHdlQAAAAN0Uk5TAP//RFDWIQAAAFVJREFUeNrVk0EKACAIBLX/P7owMtJywU7OIUIHKmmJBvyAJhyA+mIggQG1hCY8haYkhdW5GCrwuQkEc1pCkHWXrpf0gnlmRvCjdkLtH/WfLBxeEP8OD9gEaCfJh74AAAAASUVORK5CYII='

export const FAVICON = Uint8Array.from(atob(FAVICON_BASE64), (char) => char.charCodeAt(0))

export const FAVICON_HEADERS = { 'Content-Type': 'image/x-icon', 'Cache-Control': 'public, max-age=86400' }
