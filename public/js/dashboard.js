// Draws the dashboard's audit chart from the figures embedded in the page;
// without JavaScript the table under it shows the same numbers.
document.addEventListener('DOMContentLoaded', () => {
  const canvas = document.getElementById('audit-chart')
  if (!canvas || !window.Chart) return
  const days = JSON.parse(canvas.dataset.days)
  new window.Chart(canvas, {
    type: 'bar',
    data: {
      labels: days.map((day) => day.date),
      datasets: [
        { label: 'Audit events', data: days.map((day) => day.count), backgroundColor: '#206bc4' },
      ],
    },
    options: {
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  })
})
