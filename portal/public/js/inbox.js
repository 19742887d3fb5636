// The inbox's keyboard and countdown (portal/pages/app/inbox-conversation.tsx). A static file
// because the CSP allows scripts from 'self' only. Everything works without it: the form has a
// send button, and the countdown is right at every render.
;(() => {
  // Enter sends the reply; Shift+Enter (or Enter while composing with an IME) is a new line.
  document.addEventListener('keydown', (event) => {
    const field = event.target
    if (!(field instanceof HTMLTextAreaElement) || field.dataset.enterSends !== 'true') return
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return
    event.preventDefault()
    if (field.value.trim() !== '') field.form?.requestSubmit()
  })

  // A form sent once is not sent again by a second click while the page loads (the server would
  // send it once anyway: the client message id is the same).
  document.addEventListener('submit', (event) => {
    const form = event.target
    if (!(form instanceof HTMLFormElement) || !form.querySelector('[name="client_message_id"]')) return
    if (form.dataset.sent === 'true') event.preventDefault()
    form.dataset.sent = 'true'
  })

  // The window's countdown, minute by minute, in the page's words (`data-text-*`).
  const tick = () => {
    for (const element of document.querySelectorAll('[data-closes-at]')) {
      const left = Math.floor((Date.parse(element.dataset.closesAt) - Date.now()) / 60_000)
      if (left < 0) {
        element.textContent = element.dataset.textClosed
        continue
      }
      const hours = Math.floor(left / 60)
      const minutes = String(left % 60)
      element.textContent =
        hours > 0
          ? element.dataset.textHm.replace('{h}', String(hours)).replace('{m}', minutes)
          : element.dataset.textM.replace('{m}', minutes)
    }
  }
  setInterval(tick, 30_000)
})()
