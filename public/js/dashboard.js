// Draws the dashboard's charts from the figures embedded in the page;
// without JavaScript the tables under them show the same numbers.
document.addEventListener('DOMContentLoaded', () => {
  if (!window.Chart) return
  const options = {
    maintainAspectRatio: false,
    scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
  }

  const audit = document.getElementById('audit-chart')
  if (audit) {
    const days = JSON.parse(audit.dataset.days)
    new window.Chart(audit, {
      type: 'bar',
      data: {
        labels: days.map((day) => day.date),
        datasets: [
          { label: 'Audit events', data: days.map((day) => day.count), backgroundColor: '#206bc4' },
        ],
      },
      options: { ...options, plugins: { legend: { display: false } } },
    })
  }

  const chatbots = document.getElementById('chatbot-chart')
  if (chatbots) {
    const days = JSON.parse(chatbots.dataset.days)
    new window.Chart(chatbots, {
      type: 'bar',
      data: {
        labels: days.map((day) => day.date),
        datasets: [
          {
            label: 'Conversations',
            data: days.map((day) => day.conversations),
            backgroundColor: '#206bc4',
          },
          { label: 'Messages', data: days.map((day) => day.messages), backgroundColor: '#79a6dc' },
        ],
      },
      options,
    })
  }
})
