document.getElementById('iso').textContent = self.crossOriginIsolated
  ? 'cross-origin isolated, so the panel below can use threads'
  : 'not cross-origin isolated, so the panel below runs single-threaded';
