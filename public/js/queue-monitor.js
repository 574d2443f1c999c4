/*
 * The queue monitor's live parts. htmx replaces the live region (an element
 * with `data-live-region`) every few seconds; this script draws the
 * throughput chart from its canvas's data attribute, again after each swap,
 * and skips a refresh while the tab is hidden or a confirmation dialog is
 * open (the swap would close it under the operator's cursor).
 */
;(() => {
  const PALETTE = ['#206bc4', '#4299e1', '#2fb344', '#ae3ec9', '#f59f00', '#17a2b8']
  let chart = null

  function drawChart(animate) {
    const canvas = document.getElementById('queue-throughput-chart')
    if (!canvas || !window.Chart) return
    chart?.destroy()
    const data = JSON.parse(canvas.dataset.chart)
    // Minutes are UTC, like every time in the console.
    const labels = data.minutes.map((minute) => new Date(minute).toISOString().slice(11, 16))
    const failed = data.minutes.map((_, index) =>
      data.queues.reduce((sum, queue) => sum + (queue.failed[index] ?? 0), 0)
    )
    chart = new window.Chart(canvas, {
      type: 'bar',
      data: {
        labels,
        datasets: [
          ...data.queues.map((queue, index) => ({
            type: 'bar',
            label: `${queue.name}: completed`,
            data: queue.completed,
            backgroundColor: PALETTE[index % PALETTE.length],
            stack: 'completed',
          })),
          {
            type: 'line',
            label: 'Failed (all queues)',
            data: failed,
            borderColor: '#d63939',
            backgroundColor: '#d63939',
            pointRadius: 0,
            tension: 0.2,
            stack: 'failed',
          },
        ],
      },
      options: {
        animation: animate ? undefined : false,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: true, ticks: { maxTicksLimit: 12 } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    })
  }

  document.addEventListener('DOMContentLoaded', () => drawChart(true))

  document.addEventListener('htmx:beforeRequest', (event) => {
    if (!event.target.closest?.('[data-live-region]')) return
    if (document.hidden || document.querySelector('.modal.show')) event.preventDefault()
  })

  // A refresh that arrives once a dialog is open is dropped (the next one
  // comes in 5 s); one answered by another page (the session expired: the
  // sign-in form) reloads the page instead of swapping that page in.
  document.addEventListener('htmx:beforeSwap', (event) => {
    if (!event.target.closest?.('[data-live-region]')) return
    if (document.querySelector('.modal.show')) {
      event.detail.shouldSwap = false
    } else if (
      event.detail.shouldSwap &&
      !event.detail.serverResponse.includes('data-live-region')
    ) {
      event.detail.shouldSwap = false
      location.reload()
    }
  })

  document.addEventListener('htmx:afterSwap', () => drawChart(false))
})()
